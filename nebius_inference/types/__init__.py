"""Typed request and response models for every endpoint of the API."""

from .batches import (
    TERMINAL_STATES,
    Batch,
    BatchCreateRequest,
    BatchList,
    BatchOutcome,
    BatchOutputLine,
    BatchRequestCounts,
    BatchState,
    normalize_batch_status,
)
from .chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionRequest,
    Choice,
    ChoiceDelta,
    ChunkChoice,
    FunctionCall,
    FunctionCallDelta,
    ToolCall,
    ToolCallDelta,
)
from .completions import Completion, CompletionChoice, CompletionLogprobs, CompletionRequest
from .embeddings import CreateEmbeddingResponse, Embedding, EmbeddingRequest
from .files import FileDeleted, FileList, FileObject
from .images import GeneratedImage, ImageGenerationRequest, ImagesResponse
from .models import Model, ModelList
from .rerank import RerankDocument, RerankRequest, RerankResponse, RerankResult
from .shared import Logprobs, TokenLogprob, TopLogprob, Usage

__all__ = [
    "TERMINAL_STATES",
    "Batch",
    "BatchCreateRequest",
    "BatchList",
    "BatchOutcome",
    "BatchOutputLine",
    "BatchRequestCounts",
    "BatchState",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionRequest",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "Completion",
    "CompletionChoice",
    "CompletionLogprobs",
    "CompletionRequest",
    "CreateEmbeddingResponse",
    "Embedding",
    "EmbeddingRequest",
    "FileDeleted",
    "FileList",
    "FileObject",
    "FunctionCall",
    "FunctionCallDelta",
    "GeneratedImage",
    "ImageGenerationRequest",
    "ImagesResponse",
    "Logprobs",
    "Model",
    "ModelList",
    "RerankDocument",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "Usage",
    "normalize_batch_status",
]
