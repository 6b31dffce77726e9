"""The keyword arguments of each client method: an endpoint's request fields (the TypedDicts
next to the request models in :mod:`nebius_inference.types`) plus the per-call options.

Type checkers and IDEs see every known field, so a misspelt one is an error there. At run time
nothing changes: an unknown keyword still passes through to the API. Fields the models do not
declare (``guided_json``, ...) type-check when sent as ``extra_body={...}``.
"""

from __future__ import annotations

from ._endpoints import CallOptions
from .types import (
    ChatParams,
    CompletionParams,
    EmbeddingParams,
    EmbedFields,
    ImageGenerationParams,
    RerankParams,
)

__all__ = ["ChatCall", "CompletionCall", "EmbedCall", "EmbeddingCall", "ImagesCall", "RerankCall"]


class ChatCall(ChatParams, CallOptions, total=False):
    """``create_chat_completion`` / ``stream_chat_completion`` keywords."""


class CompletionCall(CompletionParams, CallOptions, total=False):
    """``create_completion`` / ``stream_completion`` keywords."""


class EmbeddingCall(EmbeddingParams, CallOptions, total=False):
    """``create_embeddings`` keywords."""


class EmbedCall(EmbedFields, CallOptions, total=False):
    """``embed`` / ``iter_embeddings`` keywords, next to the texts and the model."""


class ImagesCall(ImageGenerationParams, CallOptions, total=False):
    """``generate_images`` keywords."""


class RerankCall(RerankParams, CallOptions, total=False):
    """``rerank`` keywords."""
