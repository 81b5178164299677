"""`lightning-gan app`: the shop team's web app (Gradio) on 127.0.0.1: fix photos (auto: only what each needs),
enhance, repair, generate, restyle.

    pip install 'lightning-gan[app]'   then   lightning-gan app [--port 7860] [--host 127.0.0.1] [--share]
                                                  [--runs runs] [--max-megapixels 40]

By default only this machine can open it (127.0.0.1). `--host 0.0.0.0` (or GRADIO_SERVER_NAME) lets other machines
on the network open it at http://<this machine>:7860, and `--share` asks Gradio for a temporary public link (it needs
internet access); both print a warning, since anyone who can reach the app can upload photos and run models.

Photos keep their alpha, EXIF orientation and format (the same code as `lightning-gan enhance`). Uploads and results
live in one temporary folder, removed when the app stops (normal exit, Ctrl-C or SIGTERM); nothing is written
anywhere else. The Model box takes shipped models, baselines and checkpoints under `--runs` only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lightning_gan.files import check_number, tool_error

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_settings(args: argparse.Namespace) -> tuple[dict, str | None]:
    """Gradio's launch() options for the command line, and a warning when others can reach the app."""
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    options = {"server_name": host, "server_port": args.port, "share": args.share,
               "max_file_size": f"{args.max_upload_mb:g}mb"}
    warning = None
    if args.share:
        warning = ("the app gets a public gradio.live link: anyone with the link can upload photos and run models "
                   "on this machine")
    elif host not in LOOPBACK:
        shown = "<this machine's address>" if host in ("0.0.0.0", "::") else host
        warning = (f"the app is reachable from the network at http://{shown}:{args.port}: anyone who can reach this "
                   "machine can upload photos and run models")
    return options, warning


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lightning-gan app", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", help="address to listen on (default: GRADIO_SERVER_NAME, else 127.0.0.1, this "
                        "machine only); 0.0.0.0 lets other machines open the app")
    parser.add_argument("--share", action="store_true", help="also ask Gradio for a temporary public link (needs internet)")
    parser.add_argument("--max-upload-mb", type=float, default=50.0, help="larger uploaded files are refused (default 50)")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="folder searched for your checkpoints")
    parser.add_argument("--max-megapixels", type=float, default=40.0, help="larger uploads are refused with a message")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    args = parser.parse_args(argv)
    try:
        check_number("--max-megapixels", args.max_megapixels, low=1e-6)
        check_number("--max-upload-mb", args.max_upload_mb, low=1e-3)
    except ValueError as error:
        return tool_error("app", error)
    from lightning_gan.app.ui import Workspace, build_app

    workspace = Workspace()
    os.environ.setdefault("GRADIO_TEMP_DIR", str(workspace.root / "uploads"))  # before Gradio loads: uploads go there too
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home (analytics, version check) at start
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # nor from huggingface_hub, which Gradio imports
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the app never needs the Hugging Face hub
    try:
        import gradio  # noqa: F401
    except ImportError:
        print("lightning-gan app: error: the web app needs Gradio: pip install 'lightning-gan[app]' "
              "(in a checkout: pip install -e '.[app]')", file=sys.stderr)
        return 2
    options, warning = serve_settings(args)
    app, _ = build_app(args.runs, args.max_megapixels, args.device, workspace)
    workspace.remove_on_signals()
    if warning:
        print(f"lightning-gan app: warning: {warning}", file=sys.stderr)
    app.queue().launch(**options, ssr_mode=False, allowed_paths=[str(workspace.root)])
    return 0
