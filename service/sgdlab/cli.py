"""`sgdlab serve`: run the service (also `python -m sgdlab serve`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sgdlab` command."""
    parser = argparse.ArgumentParser(prog="sgdlab", description="sgdlab: where SGD goes on a non-convex loss")
    parser.add_argument("--version", action="version", version=f"sgdlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service (settings also from SGDLAB_* variables)")
    serve.add_argument("--host", help="bind address (SGDLAB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (SGDLAB_PORT, default 8000)")
    serve.add_argument("--data-dir", type=Path, help="job store folder (SGDLAB_DATA_DIR, default ./sgdlab-data)")
    serve.add_argument("--workers", type=int, help="local executor processes (SGDLAB_WORKERS, default: cores)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        import uvicorn

        from .api.app import create_app
        from .config import Settings

        overrides = {k: v for k, v in {"host": args.host, "port": args.port, "data_dir": args.data_dir,
                                       "workers": args.workers}.items() if v is not None}
        settings = Settings(**overrides)
        app = create_app(settings)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
