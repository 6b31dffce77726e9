"""Low-level ASGI helpers: JSON and SSE replies, and dropping a connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

from ._faults import Fault
from ._jsonutil import dumps

__all__ = [
    "SCOPE_KEY",
    "abort_connection",
    "send_json",
    "send_raw",
    "send_sse",
    "wait_for_disconnect",
]

SCOPE_KEY = "nebius_emulator"
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
]


async def send_raw(
    send: Send,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send a complete reply."""
    raw_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_json(
    send: Send, status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> None:
    """Send a JSON reply."""
    await send_raw(send, status, dumps(payload), headers=headers)


async def abort_connection(scope: Scope, receive: Receive) -> None:
    """Close the client connection at once, without (the rest of) a reply.

    Works with uvicorn's HTTP protocols by closing the transport behind the raw ``send``;
    other servers get an exception, which also ends the connection abruptly.
    """
    raw_send = scope.get(SCOPE_KEY, {}).get("raw_send")
    cycle = getattr(raw_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("emulated dropped connection")
    transport.close()

    async def closed() -> None:
        for _ in range(1000):
            if getattr(cycle, "disconnected", True):
                return
            await asyncio.sleep(0.001)

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(closed(), 1.0)


async def wait_for_disconnect(receive: Receive, seconds: float) -> bool:
    """Wait up to ``seconds``; return ``True`` early if the client disconnects."""

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(watch(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


def _event(payload: Any) -> bytes:
    data = payload if isinstance(payload, bytes) else dumps(payload)
    return b"data: " + data + b"\n\n"


async def send_sse(
    scope: Scope,
    receive: Receive,
    send: Send,
    events: list[Any],
    fault: Fault | None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Stream ``events`` as ``data:`` lines ending with ``[DONE]``, applying a stream fault."""
    raw_headers = [
        *_SSE_HEADERS,
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
    frames = [_event(event) for event in events] + [b"data: [DONE]\n\n"]
    kind = fault.kind if fault is not None else None
    after = fault.after if fault is not None and fault.after is not None else None
    for position, frame in enumerate(frames):
        if kind == "stream_cut" and position == (2 if after is None else after):
            await abort_connection(scope, receive)
            return
        if kind == "stream_error" and position == (1 if after is None else after):
            message = (fault.message if fault else None) or "Internal server error during streaming"
            error = {"error": {"message": message, "type": "InternalServerError", "code": 500}}
            await send({"type": "http.response.body", "body": _event(error), "more_body": True})
            await send(
                {"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False}
            )
            return
        if kind == "malformed" and position == (1 if after is None else after):
            await send(
                {
                    "type": "http.response.body",
                    "body": b'data: {"id": "chatcmpl-\n\n',
                    "more_body": True,
                }
            )
        if kind == "stream_delay" and position >= (after or 0) and fault is not None:
            pause = fault.seconds if fault.seconds is not None else 0.2
            if await wait_for_disconnect(receive, pause):
                return
        await send({"type": "http.response.body", "body": frame, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
