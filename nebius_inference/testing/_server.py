"""Serving the emulator over real loopback HTTP from a background thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import uvicorn

from ._app import create_app
from ._config import EmulatorConfig
from ._faults import Fault, parse_faults
from ._ratelimit import WindowStats
from ._state import EmulatorState, RecordedRequest

__all__ = ["Emulator", "bind_socket", "make_server"]


class _Server(uvicorn.Server):
    """A uvicorn server that signals when it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()
        self.ready.set()


def make_server(
    app: Any, log_level: str = "warning", on_ready: Callable[[], None] | None = None
) -> _Server:
    """Return a quiet uvicorn server for ``app`` (pure asyncio and h11)."""
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http="h11",
        ws="none",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=5,
    )
    return _Server(config, on_ready)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket (port ``0`` picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class Emulator:
    """The emulator served on ``127.0.0.1`` from a background thread.

    Use it as a context manager::

        with Emulator() as emu:
            client = OpenAI(base_url=emu.base_url, api_key=emu.api_key)

    It works for synchronous and asynchronous clients alike.
    """

    def __init__(self, config: EmulatorConfig | None = None, host: str = "127.0.0.1") -> None:
        self.config = config or EmulatorConfig()
        self.app = create_app(self.config)
        self._state: EmulatorState = self.app.state.emulator
        self._host = host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self._port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = bind_socket(self._host, 0)
        self._socket = sock
        self._port = sock.getsockname()[1]
        server = make_server(self.app)
        self._server = server

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported to the thread that called start()
                self._error = exc
            finally:
                server.ready.set()

        self._thread = threading.Thread(target=run, name="nebius-emulator", daemon=True)
        self._thread.start()
        server.ready.wait(timeout=10)
        if self._error is not None or not server.started:
            self.stop()
            raise RuntimeError("the emulator failed to start") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the emulator listens on."""
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def url(self) -> str:
        """The server root, like ``http://127.0.0.1:PORT``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, like ``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    @property
    def api_key(self) -> str:
        """An API key the emulator accepts."""
        return self.config.api_key

    # -- inspection and control -------------------------------------------------------------

    @property
    def request_log(self) -> list[RecordedRequest]:
        """The requests received so far (a copy), oldest first."""
        return list(self._state.log)

    def requests(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """The logged requests, optionally only those for ``path`` and ``method``."""
        return [
            entry
            for entry in self._state.log
            if (path is None or entry.path == path)
            and (method is None or entry.method == method.upper())
        ]

    def inject(self, fault: Fault | str) -> None:
        """Queue a fault (a :class:`Fault` or header syntax) for the next matching requests."""
        faults: Sequence[Fault] = parse_faults(fault) if isinstance(fault, str) else [fault]
        for item in faults:
            self._state.faults.inject(item)

    @property
    def pending_faults(self) -> list[Fault]:
        """Injected faults with uses left."""
        return self._state.faults.pending()

    @property
    def rate_limit_windows(self) -> list[WindowStats]:
        """Every rate-limit window so far, per model, oldest first: requests and tokens
        charged, requests answered 429 and requests served late over the limit."""
        return list(self._state.limiter.history)

    def reset(self, storage: bool = False) -> None:
        """Clear the request log, injected faults, fault counters and rate-limit windows.

        With ``storage=True`` also forget files, batches and generated images.
        """
        self._state.reset(storage=storage)

    def advance_batches(self, steps: int = 1, batch_id: str | None = None) -> None:
        """Move unfinished batches (or one batch) on by ``steps`` states."""
        self._state.batches.advance(steps, batch_id)

    def finish_batches(self, batch_id: str | None = None) -> None:
        """Run unfinished batches (or one batch) to their final status."""
        self._state.batches.finish(batch_id)
