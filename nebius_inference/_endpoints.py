"""What each endpoint sends: pure functions from arguments to a :class:`RequestOptions`.

Both clients call these, so a request is built the same way whether it is sent sync or async.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal, TypedDict, cast

from ._base import RequestOptions, apply_call_options, build_body, split_call_options
from ._errors import InvalidRequestError
from .types import (
    BatchCreateRequest,
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingRequest,
    ImageGenerationRequest,
    RerankRequest,
)
from .types._base import RequestModel

__all__ = ["CallOptions", "FileInput"]

FileInput = bytes | str | os.PathLike[str] | IO[bytes]


class CallOptions(TypedDict, total=False):
    """Per-call options every method accepts."""

    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]
    timeout: float
    max_retries: int


def _json_call(
    path: str,
    model_cls: type[RequestModel],
    request: RequestModel | Mapping[str, Any] | None,
    params: dict[str, Any],
    *,
    stream: bool = False,
) -> RequestOptions:
    params = dict(params)
    extras = split_call_options(params)
    if "stream" in params or (isinstance(request, Mapping) and "stream" in request):
        raise InvalidRequestError(
            "Do not pass stream=...: call create_* for one reply and stream_* for a stream."
        )
    if extras.get("extra_body"):
        params = {**dict(extras.pop("extra_body")), **params}
    body = build_body(model_cls, request, params)
    if stream:
        body["stream"] = True
        body.setdefault("stream_options", {"include_usage": True})
    call = RequestOptions("POST", path, body=body, stream=stream)
    return apply_call_options(call, extras)


def chat(
    request: ChatCompletionRequest | Mapping[str, Any] | None,
    params: dict[str, Any],
    *,
    stream: bool,
) -> RequestOptions:
    return _json_call("/chat/completions", ChatCompletionRequest, request, params, stream=stream)


def completion(
    request: CompletionRequest | Mapping[str, Any] | None,
    params: dict[str, Any],
    *,
    stream: bool,
) -> RequestOptions:
    return _json_call("/completions", CompletionRequest, request, params, stream=stream)


def embeddings(
    request: EmbeddingRequest | Mapping[str, Any] | None, params: dict[str, Any]
) -> RequestOptions:
    call = _json_call("/embeddings", EmbeddingRequest, request, params)
    assert call.body is not None
    call.body.setdefault("encoding_format", "base64")
    return call


def images(
    request: ImageGenerationRequest | Mapping[str, Any] | None, params: dict[str, Any]
) -> RequestOptions:
    return _json_call("/images/generations", ImageGenerationRequest, request, params)


def rerank(
    request: RerankRequest | Mapping[str, Any] | None, params: dict[str, Any]
) -> RequestOptions:
    return _json_call("/rerank", RerankRequest, request, params)


def list_models(verbose: bool, options: CallOptions) -> RequestOptions:
    call = RequestOptions("GET", "/models", params={"verbose": "true"} if verbose else {})
    return apply_call_options(call, options)


def upload_file(
    file: bytes | IO[bytes],
    purpose: Literal["batch", "fine-tune"],
    filename: str,
    options: CallOptions,
) -> RequestOptions:
    """The multipart ``POST /files``. A file object is read in chunks while the request is sent
    (httpx's multipart stream, sized up front from the file's length), never whole in memory."""
    check_purpose(purpose)
    call = RequestOptions(
        "POST",
        "/files",
        files={"file": (filename, file, "application/jsonl")},
        data={"purpose": purpose},
    )
    return apply_call_options(call, options)


def check_purpose(purpose: str) -> None:
    if purpose not in ("batch", "fine-tune"):
        raise InvalidRequestError(f"purpose must be 'batch' or 'fine-tune', got {purpose!r}.")


@contextlib.contextmanager
def upload_source(file: FileInput, filename: str | None) -> Iterator[tuple[str, bytes | IO[bytes]]]:
    """What :func:`upload_file` sends for ``file`` and under which name: bytes as they are, a
    path opened for the time of the upload (and closed after), a binary file object as it is
    (read from its start, left open)."""
    if isinstance(file, bytes):
        yield filename or "upload.jsonl", file
        return
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        if not path.is_file():
            raise InvalidRequestError(f"No file at {str(path)!r}: pass a path, bytes, or a file.")
        with path.open("rb") as handle:
            yield filename or path.name, handle
        return
    if not isinstance(file.read(0), bytes):  # a text file gives ""
        raise InvalidRequestError("Open the file in binary mode ('rb') before uploading it.")
    yield filename or Path(str(getattr(file, "name", "upload.jsonl"))).name, file


def _check_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise InvalidRequestError(f"{kind} must be a non-empty id without '/', got {value!r}.")
    return value


def file_call(method: str, file_id: str, suffix: str, options: CallOptions) -> RequestOptions:
    path = f"/files/{_check_id('file_id', file_id)}{suffix}"
    return apply_call_options(RequestOptions(method, path), options)


def list_files(
    purpose: str | None, limit: int | None, after: str | None, options: CallOptions
) -> RequestOptions:
    params = {
        k: v
        for k, v in {"purpose": purpose, "limit": limit, "after": after}.items()
        if v is not None
    }
    return apply_call_options(RequestOptions("GET", "/files", params=params), options)


def create_batch(
    input_file_id: str, endpoint: str, completion_window: str, params: dict[str, Any]
) -> RequestOptions:
    return _json_call(
        "/batches",
        BatchCreateRequest,
        None,
        {
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "completion_window": completion_window,
            **params,
        },
    )


def batch_call(method: str, batch_id: str, suffix: str, options: CallOptions) -> RequestOptions:
    path = f"/batches/{_check_id('batch_id', batch_id)}{suffix}"
    return apply_call_options(RequestOptions(method, path), options)


def list_batches(limit: int | None, after: str | None, options: CallOptions) -> RequestOptions:
    params = {k: v for k, v in {"limit": limit, "after": after}.items() if v is not None}
    return apply_call_options(RequestOptions("GET", "/batches", params=params), options)


def fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments as the plain dict they are at run time (unknown ones included)."""
    return cast("dict[str, Any]", params)
