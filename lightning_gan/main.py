"""The `lightning-gan` command: tool subcommands are dispatched before Lightning and the models are imported, so
`lightning-gan enhance --help` is quick and a tool does not depend on every model module importing cleanly.

    lightning-gan fit | validate | test ...          LightningCLI (lightning_gan.cli)
    lightning-gan fix | enhance | evaluate | generate | translate | compare | export | app | prepare ...
"""

from __future__ import annotations

import importlib
import sys

TOOLS = {"fix": "lightning_gan.commands.fix", "enhance": "lightning_gan.enhance", "evaluate": "lightning_gan.evaluate",
         "generate": "lightning_gan.generate",
         "translate": "lightning_gan.translate", "compare": "lightning_gan.compare",
         "export": "lightning_gan.export", "app": "lightning_gan.app", "prepare": "lightning_gan.prepare",
         "train-classifier": "lightning_gan.domain", "score-generator": "lightning_gan.score_generator"}


def main(args: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if args is None else args)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"lightning-gan: fit | validate | test (LightningCLI, below) | {' | '.join(TOOLS)} (--help on each)\n")
    if argv and argv[0] in TOOLS:
        code = importlib.import_module(TOOLS[argv[0]]).main(argv[1:])
        if code:
            raise SystemExit(code)
        return
    from lightning_gan.cli import run

    run(argv)


if __name__ == "__main__":
    main()
