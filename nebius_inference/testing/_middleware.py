"""The outer ASGI layer: request log, authentication, faults and common headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._asgi import SCOPE_KEY, abort_connection, send_json, send_raw, wait_for_disconnect
from ._faults import FaultSyntaxError
from ._ratelimit import request_tokens
from ._state import EmulatorState, RecordedRequest

__all__ = ["EmulatorMiddleware"]

_PUBLIC_PREFIXES = ("/v1/images/files/", "/health")
_LIMITED_PATHS = frozenset(
    ("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/rerank",
     "/v1/images/generations")
)  # fmt: skip


def _decode_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


class EmulatorMiddleware:
    """Wraps the routes: logs every request, checks the key, applies faults, adds headers."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw_body = bytes(body)
        headers = _decode_headers(scope)
        path: str = scope["path"]
        method: str = scope["method"]
        parsed: Any = None
        if raw_body and "json" in headers.get("content-type", "json"):
            try:
                parsed = json.loads(raw_body)
            except (ValueError, UnicodeDecodeError):
                parsed = None
        request_id = state.new_hex(16)
        logged = dict(headers)
        if "authorization" in logged:
            logged["authorization"] = "<redacted>"
        state.record(
            RecordedRequest(method, path, _query(scope), logged, parsed, raw_body, request_id)
        )
        model = parsed.get("model") if isinstance(parsed, dict) else None
        model = model if isinstance(model, str) and path in _LIMITED_PATHS else ""
        config = state.config
        turn_away = bool(model) and config.rate_limit_enforce
        rate_headers, over = state.limiter.charge(
            model, request_tokens(parsed), turn_away and config.rate_limit_serve_over is None
        )
        common = {"x-request-id": request_id, **rate_headers}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(name.encode(), value.encode()) for name, value in common.items()]
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        *((n, v) for n, v in extra if n not in present),
                    ],
                }
            await send(message)

        scope.setdefault(SCOPE_KEY, {})
        scope[SCOPE_KEY].setdefault("raw_send", send)
        scope[SCOPE_KEY].update(request_id=request_id, body=raw_body, json=parsed)

        if path.startswith("/v1") and not path.startswith(_PUBLIC_PREFIXES):
            denied = self._check_key(headers.get("authorization"))
            if denied is not None:
                await send_json(send_with_headers, 401, {"detail": denied},
                                headers={"www-authenticate": "Bearer"})  # fmt: skip
                return

        if over and turn_away:
            if config.rate_limit_serve_over is None:
                state.limiter.note(model, rejected=True)
                detail = f"Rate limit exceeded for {model}. Please retry later."
                await send_json(send_with_headers, 429, {"detail": detail})
                return
            state.limiter.note(model, rejected=False)
            common["x-ratelimit-over-limit"] = "yes"
            if await wait_for_disconnect(receive, config.rate_limit_serve_over):
                return

        streaming = isinstance(parsed, dict) and parsed.get("stream") is True
        try:
            fault = state.faults.take(method, path, streaming, headers)
        except FaultSyntaxError as exc:
            await send_json(send_with_headers, 400, {"detail": f"Invalid x-emulator-fault: {exc}"})
            return
        if fault is not None:
            if fault.kind == "rate_limit":
                retry = fault.retry_after if fault.retry_after is not None else 1
                retry_text = str(int(retry)) if float(retry).is_integer() else str(retry)
                common.update(
                    {
                        "x-ratelimit-remaining-requests": "0",
                        "x-ratelimit-reset-requests": retry_text,
                        "retry-after": retry_text,
                    }
                )
                detail = fault.message or "Rate limit exceeded. Please retry later."
                await send_json(send_with_headers, 429, {"detail": detail})
                return
            if fault.kind in ("error", "payment_required"):
                status = fault.status or (402 if fault.kind == "payment_required" else 500)
                if fault.retry_after is not None:
                    common["retry-after"] = str(fault.retry_after).removesuffix(".0")
                detail = fault.message or _REASONS.get(status, "Error")
                await send_json(send_with_headers, status, {"detail": detail})
                return
            if fault.kind == "disconnect":
                await abort_connection(scope, receive)
                return
            if fault.kind == "lost_reply":
                await self.app(scope, _replay(raw_body, receive), _swallow)
                await abort_connection(scope, receive)
                return
            if fault.kind == "delay":
                if await wait_for_disconnect(
                    receive, fault.seconds if fault.seconds is not None else 1.0
                ):
                    return
            elif fault.kind == "malformed" and not streaming:
                await send_raw(send_with_headers, 200, b'{"id": "chatcmpl-broken", "choices": [')
                return
            else:
                scope[SCOPE_KEY]["fault"] = fault

        await self.app(scope, _replay(raw_body, receive), send_with_headers)

    def _check_key(self, authorization: str | None) -> str | None:
        if not authorization:
            return "Not authenticated: send an Authorization: Bearer <key> header"
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return "Invalid authorization header: expected Bearer <key>"
        accepted = self.state.config.api_keys
        if accepted and key not in accepted:
            return "Invalid API key"
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the already-read body, then defers to the server."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _swallow(message: Message) -> None:
    """A ``send`` that discards the reply (for ``lost_reply``)."""


_REASONS = {
    400: "Bad Request",
    402: "Insufficient balance: top up your account or raise its spending limit to continue",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
