"""The endpoint methods of :class:`~nebius_inference.AsyncNebiusClient`: the async twins of
``_sync_methods``, with the same arguments; their docstrings are on the sync methods.

Each method builds its call with a pure function of ``_endpoints`` and hands it to the client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel
from typing_extensions import Unpack

from . import _endpoints as ep
from ._base import RequestOptions, connection_error, parse_embeddings
from ._download import ResumePoint
from ._endpoints import CallOptions, FileInput, fields
from ._errors import NotFoundError
from ._params import ChatCall, CompletionCall, EmbeddingCall, ImagesCall, RerankCall
from ._retry import effective_delay
from .types import (
    Batch,
    BatchList,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    CreateEmbeddingResponse,
    EmbeddingRequest,
    FileDeleted,
    FileList,
    FileObject,
    ImageGenerationRequest,
    ImagesResponse,
    ModelList,
    RerankRequest,
    RerankResponse,
)

if TYPE_CHECKING:
    from ._reply import Reply
    from ._retry import RetryPolicy
    from ._streaming import AsyncStream

__all__ = ["AsyncMethods"]

T = TypeVar("T", bound=BaseModel)


class AsyncMethods:
    """Every endpoint of the API, async."""

    if TYPE_CHECKING:

        @property
        def max_retries(self) -> int: ...
        @property
        def retry_policy(self) -> RetryPolicy: ...
        async def _send(self, call: RequestOptions) -> Reply: ...
        async def _json(self, call: RequestOptions, model_cls: type[T]) -> T: ...
        async def _stream(self, call: RequestOptions, model_cls: type[T]) -> AsyncStream[T]: ...
        async def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None: ...

    # -- chat and completions ------------------------------------------------------------------

    async def create_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> ChatCompletion:
        """``POST /chat/completions``; see :meth:`NebiusClient.create_chat_completion`."""
        return await self._json(ep.chat(request, fields(params), stream=False), ChatCompletion)

    async def stream_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> AsyncStream[ChatCompletionChunk]:
        """Stream a chat completion: ``async with await client.stream_chat_completion(...)``."""
        return await self._stream(
            ep.chat(request, fields(params), stream=True), ChatCompletionChunk
        )

    async def create_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Completion:
        return await self._json(ep.completion(request, fields(params), stream=False), Completion)

    async def stream_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> AsyncStream[Completion]:
        return await self._stream(ep.completion(request, fields(params), stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    async def create_embeddings(
        self,
        request: EmbeddingRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[EmbeddingCall],
    ) -> CreateEmbeddingResponse:
        call = ep.embeddings(request, fields(params))
        try:
            return parse_embeddings(await self._send(call))
        except NotFoundError as error:
            await self._name_listed_models(call, error)
            raise

    async def generate_images(
        self,
        request: ImageGenerationRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ImagesCall],
    ) -> ImagesResponse:
        return await self._json(ep.images(request, fields(params)), ImagesResponse)

    async def list_models(
        self, *, verbose: bool = False, **options: Unpack[CallOptions]
    ) -> ModelList:
        return await self._json(ep.list_models(verbose, options), ModelList)

    async def rerank(
        self,
        request: RerankRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[RerankCall],
    ) -> RerankResponse:
        return await self._json(ep.rerank(request, fields(params)), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    async def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        ep.check_purpose(purpose)
        with ep.upload_source(file, filename) as (name, content):
            return await self._json(ep.upload_file(content, purpose, name, options), FileObject)

    async def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        return await self._json(ep.file_call("GET", file_id, "", options), FileObject)

    async def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        return (await self._send(ep.file_call("GET", file_id, "/content", options))).content

    async def download_file_content(
        self,
        file_id: str,
        destination: str | os.PathLike[str],
        *,
        chunk_size: int = 1 << 20,
        **options: Unpack[CallOptions],
    ) -> int:
        """The async twin of :meth:`NebiusClient.download_file_content`."""
        attempt = 0
        resume = ResumePoint()
        while True:
            call = replace(ep.file_call("GET", file_id, "/content", options), stream=True)
            call.headers.update(resume.headers())
            response = (await self._send(call)).response()
            try:
                start = resume.start(response.status_code, response.headers)
                if start is None:
                    raise httpx.RemoteProtocolError("a 206 reply for other bytes than asked")
                with open(  # noqa: ASYNC230 (small local writes)
                    destination, "r+b" if start else "wb", buffering=chunk_size
                ) as out:
                    out.seek(start)
                    out.truncate()
                    try:
                        async for chunk in response.aiter_bytes():
                            out.write(chunk)
                    except httpx.TransportError:
                        resume.cut(out.tell())
                        raise
                    return out.tell()
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise connection_error(exc, response.request, attempt) from exc
            finally:
                await response.aclose()
            await _asleep(effective_delay(self.retry_policy.delay(attempt)))
            attempt += 1

    async def list_files(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileList:
        return await self._json(ep.list_files(purpose, limit, after, options), FileList)

    async def delete_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileDeleted:
        return await self._json(ep.file_call("DELETE", file_id, "", options), FileDeleted)

    # -- batches -------------------------------------------------------------------------------

    async def create_batch(
        self,
        input_file_id: str,
        *,
        endpoint: Literal["/v1/chat/completions", "/v1/embeddings"] = "/v1/chat/completions",
        completion_window: Literal["24h"] = "24h",
        **params: Any,
    ) -> Batch:
        call = ep.create_batch(input_file_id, endpoint, completion_window, params)
        return await self._json(call, Batch)

    async def get_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return await self._json(ep.batch_call("GET", batch_id, "", options), Batch)

    async def list_batches(
        self, *, limit: int | None = None, after: str | None = None, **options: Unpack[CallOptions]
    ) -> BatchList:
        return await self._json(ep.list_batches(limit, after, options), BatchList)

    async def cancel_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return await self._json(ep.batch_call("POST", batch_id, "/cancel", options), Batch)


async def _asleep(seconds: float) -> None:
    import asyncio  # only where a download is retried: importing the client stays light

    await asyncio.sleep(seconds)
