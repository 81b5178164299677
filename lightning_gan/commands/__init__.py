"""The `lightning-gan` command. Each subcommand is one module here: it parses its options, calls the libraries
(`inference`, `evaluation`, `training`, `data`, `models`), prints, and returns an exit code. Nothing in the package
imports these modules; this dispatcher loads only the one asked for, so `lightning-gan enhance --help` imports
neither torch nor Lightning.

    lightning-gan fit | validate | test ...          LightningCLI (commands/fit.py)
    lightning-gan fix | enhance | evaluate | generate | translate | compare | export | app | prepare ...
"""

from __future__ import annotations

import importlib
import sys

TOOLS = {"fix": "fix", "enhance": "enhance", "evaluate": "evaluate", "generate": "generate", "translate": "translate",
         "compare": "compare", "export": "export", "app": "app", "prepare": "prepare",
         "train-classifier": "train_classifier", "score-generator": "score_generator"}


def main(args: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if args is None else args)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"lightning-gan: fit | validate | test (LightningCLI, below) | {' | '.join(TOOLS)} (--help on each)\n")
    if argv and argv[0] in TOOLS:
        code = importlib.import_module(f"{__name__}.{TOOLS[argv[0]]}").main(argv[1:])
        if code:
            raise SystemExit(code)
        return
    from lightning_gan.commands.fit import run

    run(argv)
