"""The endpoint methods of :class:`~nebius_inference.NebiusClient`, over its ``_json``,
``_stream`` and ``_send`` (see ``_client``); the async twins are in ``_async_methods``.

Each method builds its call with a pure function of ``_endpoints`` and hands it to the client.
"""

from __future__ import annotations

import os
import time
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
    from ._streaming import Stream

__all__ = ["SyncMethods"]

T = TypeVar("T", bound=BaseModel)


class SyncMethods:
    """Every endpoint of the API, sync."""

    if TYPE_CHECKING:

        @property
        def max_retries(self) -> int: ...
        @property
        def retry_policy(self) -> RetryPolicy: ...
        def _send(self, call: RequestOptions) -> Reply: ...
        def _json(self, call: RequestOptions, model_cls: type[T]) -> T: ...
        def _stream(self, call: RequestOptions, model_cls: type[T]) -> Stream[T]: ...
        def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None: ...

    # -- chat and completions ------------------------------------------------------------------

    def create_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> ChatCompletion:
        """``POST /chat/completions``.

        Args:
            request: a ``ChatCompletionRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``messages``, ``temperature``, ...);
                they win over ``request``. Unknown fields (``top_k``, ``guided_json``, ...)
                pass through; ``extra_headers``, ``timeout`` and ``max_retries`` apply to this
                call only.

        Returns:
            The reply, with ``choices`` and ``usage``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.chat(request, fields(params), stream=False), ChatCompletion)

    def stream_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> Stream[ChatCompletionChunk]:
        """Stream a chat completion; use the stream in a ``with`` block to free it early.

        Args:
            request: as in :meth:`create_chat_completion`.
            **params: as in :meth:`create_chat_completion`. Usage comes in the last chunk
                unless ``stream_options={"include_usage": False}``.

        Returns:
            A :class:`Stream` of ``ChatCompletionChunk``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
            IncompleteStreamError: the stream ended before ``data: [DONE]`` (while iterating).
        """
        return self._stream(ep.chat(request, fields(params), stream=True), ChatCompletionChunk)

    def create_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Completion:
        """``POST /completions`` (text completion).

        Args:
            request: a ``CompletionRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``prompt``, ``max_tokens``, ...).

        Returns:
            The reply, with ``choices`` and ``usage``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.completion(request, fields(params), stream=False), Completion)

    def stream_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Stream[Completion]:
        """Stream a text completion.

        Args:
            request: as in :meth:`create_completion`.
            **params: as in :meth:`create_completion`.

        Returns:
            A :class:`Stream` of ``Completion`` chunks.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._stream(ep.completion(request, fields(params), stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    def create_embeddings(
        self,
        request: EmbeddingRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[EmbeddingCall],
    ) -> CreateEmbeddingResponse:
        """``POST /embeddings``, one request.

        Args:
            request: an ``EmbeddingRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``input``, ``dimensions``, ...).
                Asks for base64 unless you set ``encoding_format``, and decodes it.

        Returns:
            The reply; its vectors are always lists of floats (``.vectors()``).

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        call = ep.embeddings(request, fields(params))
        try:
            return parse_embeddings(self._send(call))
        except NotFoundError as error:
            self._name_listed_models(call, error)
            raise

    def generate_images(
        self,
        request: ImageGenerationRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ImagesCall],
    ) -> ImagesResponse:
        """``POST /images/generations``.

        Args:
            request: an ``ImageGenerationRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``prompt``, ``width``, ``height``,
                ...). Sizes are checked against the API's limits before sending.

        Returns:
            The generated images (``b64_json`` or ``url``).

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.images(request, fields(params)), ImagesResponse)

    def list_models(self, *, verbose: bool = False, **options: Unpack[CallOptions]) -> ModelList:
        """``GET /models``.

        Args:
            verbose: add each model's context length, pricing and features.
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The models.

        Raises:
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.list_models(verbose, options), ModelList)

    def rerank(
        self,
        request: RerankRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[RerankCall],
    ) -> RerankResponse:
        """``POST /rerank``: score ``documents`` against ``query``.

        Args:
            request: a ``RerankRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``query``, ``documents``, ``top_n``).

        Returns:
            The results, best first, each with its document's ``index``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.rerank(request, fields(params)), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        """``POST /files``.

        Args:
            file: bytes, a path, or a binary file object (opened ``'rb'``). A path or a file
                object is sent from disk in chunks, never read whole into memory.
            purpose: ``"batch"`` (a JSONL batch input) or ``"fine-tune"``.
            filename: the name to upload under (defaults to the path's name).
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The uploaded file's record.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        ep.check_purpose(purpose)
        with ep.upload_source(file, filename) as (name, content):
            return self._json(ep.upload_file(content, purpose, name, options), FileObject)

    def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        """``GET /files/{file_id}``: the file's record.

        Raises:
            NotFoundError: no such file.
        """
        return self._json(ep.file_call("GET", file_id, "", options), FileObject)

    def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        """The raw bytes of a file (for example a batch's output JSONL).

        Args:
            file_id: the file's id.
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The file's content.

        Raises:
            NotFoundError: no such file.
            APIStatusError: another 4xx/5xx answer (after retries).
        """
        return self._send(ep.file_call("GET", file_id, "/content", options)).content

    def download_file_content(
        self,
        file_id: str,
        destination: str | os.PathLike[str],
        *,
        chunk_size: int = 1 << 20,
        **options: Unpack[CallOptions],
    ) -> int:
        """Write a file's raw bytes to ``destination`` in chunks, never whole in memory, and
        return how many. A download cut part-way continues with a ``Range`` request where the
        server supports it (``Accept-Ranges: bytes``), else starts that file again (up to
        ``max_retries`` times)."""
        attempt = 0
        resume = ResumePoint()
        while True:
            call = replace(ep.file_call("GET", file_id, "/content", options), stream=True)
            call.headers.update(resume.headers())
            response = self._send(call).response()
            try:
                start = resume.start(response.status_code, response.headers)
                if start is None:
                    raise httpx.RemoteProtocolError("a 206 reply for other bytes than asked")
                with open(destination, "r+b" if start else "wb", buffering=chunk_size) as out:
                    out.seek(start)
                    out.truncate()
                    try:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                    except httpx.TransportError:
                        resume.cut(out.tell())
                        raise
                    return out.tell()
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise connection_error(exc, response.request, attempt) from exc
            finally:
                response.close()
            time.sleep(effective_delay(self.retry_policy.delay(attempt)))
            attempt += 1

    def list_files(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileList:
        """``GET /files``, filtered by ``purpose``, a page of ``limit`` after the id ``after``."""
        return self._json(ep.list_files(purpose, limit, after, options), FileList)

    def delete_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileDeleted:
        """``DELETE /files/{file_id}``.

        Raises:
            NotFoundError: no such file.
        """
        return self._json(ep.file_call("DELETE", file_id, "", options), FileDeleted)

    # -- batches -------------------------------------------------------------------------------

    def create_batch(
        self,
        input_file_id: str,
        *,
        endpoint: Literal["/v1/chat/completions", "/v1/embeddings"] = "/v1/chat/completions",
        completion_window: Literal["24h"] = "24h",
        **params: Any,
    ) -> Batch:
        """``POST /batches``: start a batch over an uploaded JSONL file.

        Args:
            input_file_id: the uploaded input file (``purpose="batch"``).
            endpoint: the endpoint every line calls.
            completion_window: the API accepts ``"24h"``.
            **params: ``metadata``, ``override_settings`` and the per-call options.

        Returns:
            The batch, as created. ``nebius_inference.batch.run_batch`` does the whole job.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(
            ep.create_batch(input_file_id, endpoint, completion_window, params), Batch
        )

    def get_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        """``GET /batches/{batch_id}``: the batch's status and counts.

        Raises:
            NotFoundError: no such batch.
        """
        return self._json(ep.batch_call("GET", batch_id, "", options), Batch)

    def list_batches(
        self, *, limit: int | None = None, after: str | None = None, **options: Unpack[CallOptions]
    ) -> BatchList:
        """``GET /batches``: a page of ``limit`` batches after the id ``after``."""
        return self._json(ep.list_batches(limit, after, options), BatchList)

    def cancel_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        """``POST /batches/{batch_id}/cancel``.

        Raises:
            NotFoundError: no such batch.
        """
        return self._json(ep.batch_call("POST", batch_id, "/cancel", options), Batch)
