"""`sgdlab serve`: run the service (also `python -m sgdlab serve`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .config import Settings


def listening_line(host: str, port: int) -> str:
    """The line `sgdlab serve` prints once it listens."""
    shown = f"[{host}]" if ":" in host else host
    return f"listening on http://{shown}:{port} (dashboard /, API docs /docs)"


def serve(settings: "Settings") -> None:
    """Run the service with the connection guard: read timeouts, a connection cap, rate-limited accept errors."""
    import uvicorn

    from .api.app import create_app
    from .api.http_guard import ConnectionLimits, fd_capped, guarded_protocol, rate_limit_server_logs

    app = create_app(settings)
    max_connections = fd_capped(settings.http_max_connections)
    protocol = guarded_protocol(ConnectionLimits(settings.http_header_timeout, settings.http_body_timeout,
                                                 max_connections))
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                            http=protocol, timeout_keep_alive=settings.http_keep_alive_timeout,
                            timeout_graceful_shutdown=settings.shutdown_grace)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                print(listening_line(settings.host, settings.port), flush=True)

    rate_limit_server_logs()
    Server(config).run()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sgdlab` command."""
    parser = argparse.ArgumentParser(prog="sgdlab", description="sgdlab: where SGD goes on a non-convex loss")
    parser.add_argument("--version", action="version", version=f"sgdlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="run the HTTP service (settings also from SGDLAB_* variables)")
    serve_cmd.add_argument("--host", help="bind address (SGDLAB_HOST, default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (SGDLAB_PORT, default 8000)")
    serve_cmd.add_argument("--data-dir", type=Path, help="job store folder (SGDLAB_DATA_DIR, default ./sgdlab-data)")
    serve_cmd.add_argument("--workers", type=int, help="local executor processes (SGDLAB_WORKERS, default: cores)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from .config import Settings

        overrides = {k: v for k, v in {"host": args.host, "port": args.port, "data_dir": args.data_dir,
                                       "workers": args.workers}.items() if v is not None}
        serve(Settings(**overrides))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
