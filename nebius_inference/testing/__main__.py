"""Command line: ``python -m nebius_inference.testing --port 8000``."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

from ._app import create_app
from ._config import EmulatorConfig
from ._server import bind_socket, make_server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nebius_inference.testing",
        description="Serve the deterministic Nebius inference API emulator until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accepted API key (repeatable; default test-key)",
    )
    parser.add_argument("--any-key", action="store_true", help="accept any non-empty API key")
    parser.add_argument(
        "--batch-statuses",
        choices=("nebius", "openai"),
        default="nebius",
        help="batch status names: nebius (running/done) or openai (in_progress/completed)",
    )
    parser.add_argument(
        "--batch-advance",
        choices=("poll", "time", "manual"),
        default="time",
        help="how batches move on: per poll, by time (default) or never",
    )
    parser.add_argument(
        "--batch-step-seconds", type=float, default=2.0, help="seconds per batch step (time)"
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    return parser


def announcement(base_url: str, api_key: str) -> str:
    """What the server prints once it listens: lines to paste into another shell."""
    return (
        f"Nebius emulator serving {base_url} (Ctrl-C to stop). In another shell:\n"
        f"export NEBIUS_BASE_URL={shlex.quote(base_url)}\n"
        f"export NEBIUS_API_KEY={shlex.quote(api_key)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator server in the foreground."""
    args = _parser().parse_args(argv)
    keys: tuple[str, ...] | None = tuple(args.api_keys or ("test-key",))
    if args.any_key:
        keys = None
    config = EmulatorConfig(
        api_keys=keys,
        batch_statuses=args.batch_statuses,
        batch_advance=args.batch_advance,
        batch_step_seconds=args.batch_step_seconds,
    )
    sock = bind_socket(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}/v1"
    key = "test-key" if keys is None else keys[0]  # with --any-key, any non-empty key works

    def announce() -> None:
        print(announcement(base_url, key), flush=True)

    server = make_server(create_app(config), log_level=args.log_level, on_ready=announce)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
