"""main.py: tool subcommands run without importing Lightning or the models."""

from __future__ import annotations

import subprocess
import sys


def test_tool_help_does_not_import_lightning_or_models():
    probe = ("import sys\nfrom lightning_gan.commands import main\ntry:\n    main(['enhance', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('lightning.pytorch', 'lightning_gan.models', 'jsonargparse'))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "--max-megapixels" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
