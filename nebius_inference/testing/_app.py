"""The ASGI application: routes under ``/v1``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._asgi import SCOPE_KEY, send_sse
from ._chat import chat_completion
from ._completions import completion
from ._config import EmulatorConfig
from ._embeddings import create_embeddings
from ._errors import EmulatorError, parse_json_bytes, validation_error
from ._files import parse_multipart, upload
from ._images import IMAGE_MEDIA_TYPES, generate_images
from ._jsonutil import dumps
from ._middleware import EmulatorMiddleware
from ._rerank import rerank
from ._state import EmulatorState
from ._streams import StreamReply

__all__ = ["create_app"]

_Endpoint = Callable[[Request], Awaitable[Response]]
_Handler = Callable[[EmulatorState, Request], Awaitable[Any]]


class _SSEResponse(Response):
    """A streamed reply that can apply stream faults."""

    def __init__(self, reply: StreamReply) -> None:
        super().__init__(media_type="text/event-stream")
        self.reply = reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = scope.get(SCOPE_KEY, {}).get("fault")
        await send_sse(scope, receive, send, self.reply.events, fault)


def _json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status, headers=headers, media_type="application/json")


def _error_response(exc: EmulatorError) -> Response:
    return _json_response(exc.status, {"detail": exc.detail}, exc.headers or None)


def _route(state: EmulatorState, handler: _Handler) -> _Endpoint:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(state, request)
        except EmulatorError as exc:
            return _error_response(exc)
        if isinstance(result, Response):
            return result
        if isinstance(result, StreamReply):
            return _SSEResponse(result)
        return _json_response(200, result)

    return endpoint


async def _json_body(request: Request) -> Any:
    cached = request.scope.get(SCOPE_KEY, {}).get("body")
    raw = cached if cached is not None else await request.body()
    return parse_json_bytes(raw)


def _int_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(
            ["query", name], "Input should be a valid integer", "int_parsing", raw
        ) from None
    if not low <= value <= high:
        raise validation_error(
            ["query", name], f"Input should be between {low} and {high}", "value_error", raw
        )
    return value


# -- inference ------------------------------------------------------------------------------


async def _chat(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    return await run_in_threadpool(chat_completion, state, body)


async def _completions(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    return await run_in_threadpool(completion, state, body)


async def _embeddings(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    return await run_in_threadpool(create_embeddings, state, body)


async def _rerank(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    return await run_in_threadpool(rerank, state, body)


async def _images(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    return await run_in_threadpool(generate_images, state, body, str(request.base_url))


async def _image_file(state: EmulatorState, request: Request) -> Any:
    name = request.path_params["name"]
    data = state.images.get(name)
    if data is None:
        raise EmulatorError(404, f"Image {name} not found")
    extension = name.rsplit(".", 1)[-1]
    return Response(data, media_type=IMAGE_MEDIA_TYPES.get(extension, "application/octet-stream"))


# -- models -----------------------------------------------------------------------------------


def _verbose(request: Request) -> bool:
    return request.query_params.get("verbose", "").lower() in ("true", "1", "yes")


async def _list_models(state: EmulatorState, request: Request) -> Any:
    verbose = _verbose(request)
    return {
        "object": "list",
        "data": [model.verbose() if verbose else model.listing() for model in state.models],
    }


async def _get_model(state: EmulatorState, request: Request) -> Any:
    model_id = request.path_params["model_id"]
    spec = state.models.get(model_id)
    if spec is None:
        raise EmulatorError(404, f"Model {model_id} not found")
    return spec.verbose() if _verbose(request) else spec.listing()


# -- files --------------------------------------------------------------------------------------


async def _upload_file(state: EmulatorState, request: Request) -> Any:
    raw = request.scope.get(SCOPE_KEY, {}).get("body")
    body = raw if raw is not None else await request.body()
    parts = parse_multipart(request.headers.get("content-type", ""), body)
    stored = upload(state.files, parts, f"file-{state.new_uuid()}", state.now())
    return stored.to_json()


async def _list_files(state: EmulatorState, request: Request) -> Any:
    limit = _int_query(request, "limit", 10, 1, 10000)
    return state.files.list_page(
        request.query_params.get("purpose"), limit, request.query_params.get("after")
    )


async def _get_file(state: EmulatorState, request: Request) -> Any:
    return state.files.get(request.path_params["file_id"]).to_json()


async def _file_content(state: EmulatorState, request: Request) -> Any:
    stored = state.files.get(request.path_params["file_id"])
    media = (
        "application/jsonl" if stored.filename.endswith(".jsonl") else "application/octet-stream"
    )
    first = _range_start(request.headers.get("range"))
    size = len(stored.data)
    if first is None:
        return Response(stored.data, media_type=media, headers={"Accept-Ranges": "bytes"})
    if first >= size:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    ranged = {"Accept-Ranges": "bytes", "Content-Range": f"bytes {first}-{size - 1}/{size}"}
    return Response(stored.data[first:], status_code=206, media_type=media, headers=ranged)


def _range_start(header: str | None) -> int | None:
    """The first byte of a ``Range: bytes=N-`` request (the form a resumed download sends);
    ``None`` for no range or any other form, answered with the whole file."""
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    start, dash, end = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or end or not start.isdigit():
        return None
    return int(start)


async def _delete_file(state: EmulatorState, request: Request) -> Any:
    return state.files.delete(request.path_params["file_id"])


# -- batches ------------------------------------------------------------------------------------


async def _create_batch(state: EmulatorState, request: Request) -> Any:
    body = await _json_body(request)
    fault = request.scope.get(SCOPE_KEY, {}).get("fault")
    return await run_in_threadpool(state.batches.create, body, fault)


async def _list_batches(state: EmulatorState, request: Request) -> Any:
    limit = _int_query(request, "limit", 10, 1, 100)
    after = request.query_params.get("after")
    input_file_id = request.query_params.get("input_file_id")
    return await run_in_threadpool(state.batches.list_page, limit, after, input_file_id)


async def _get_batch(state: EmulatorState, request: Request) -> Any:
    return await run_in_threadpool(state.batches.get, request.path_params["batch_id"])


async def _cancel_batch(state: EmulatorState, request: Request) -> Any:
    return await run_in_threadpool(state.batches.cancel, request.path_params["batch_id"])


async def _health(state: EmulatorState, request: Request) -> Any:
    return {"status": "ok"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _json_response(exc.status_code, {"detail": exc.detail}, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return _json_response(500, {"detail": f"Internal Server Error: {type(exc).__name__}: {exc}"})


class _EmulatorApp(Starlette):
    """Starlette, keeping the server's own ``send`` so a connection can be dropped."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault(SCOPE_KEY, {})["raw_send"] = send
        await super().__call__(scope, receive, send)


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """Return the emulator as an ASGI application (Starlette) for ``config``.

    The application's state is reachable as ``app.state.emulator`` (an internal object).
    """
    state = EmulatorState(config or EmulatorConfig())

    def route(path: str, handler: _Handler, method: str) -> Route:
        return Route(path, _route(state, handler), methods=[method])

    routes = [
        route("/v1/chat/completions", _chat, "POST"),
        route("/v1/completions", _completions, "POST"),
        route("/v1/embeddings", _embeddings, "POST"),
        route("/v1/rerank", _rerank, "POST"),
        route("/v1/images/generations", _images, "POST"),
        route("/v1/images/files/{name}", _image_file, "GET"),
        route("/v1/models", _list_models, "GET"),
        route("/v1/models/{model_id:path}", _get_model, "GET"),
        route("/v1/files", _upload_file, "POST"),
        route("/v1/files", _list_files, "GET"),
        route("/v1/files/{file_id}", _get_file, "GET"),
        route("/v1/files/{file_id}", _delete_file, "DELETE"),
        route("/v1/files/{file_id}/content", _file_content, "GET"),
        route("/v1/batches", _create_batch, "POST"),
        route("/v1/batches", _list_batches, "GET"),
        route("/v1/batches/{batch_id}", _get_batch, "GET"),
        route("/v1/batches/{batch_id}/cancel", _cancel_batch, "POST"),
        route("/health", _health, "GET"),
    ]
    app = _EmulatorApp(
        routes=routes,
        middleware=[Middleware(EmulatorMiddleware, state=state)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.emulator = state
    return app
