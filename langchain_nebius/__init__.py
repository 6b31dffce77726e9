"""LangChain integration for the Nebius AI Studio / Token Factory API."""

from nebius_inference import __version__, require_extra

require_extra("langchain_nebius", "langchain", "langchain_core")

# Importing the chat-model module first lets langchain-core and langsmith build their models in
# the order that costs least (about 100 ms less than importing our errors module first).
import langchain_core.language_models.chat_models  # noqa: F401

from ._errors import (
    NebiusAPIError,
    NebiusAPIStatusError,
    NebiusAuthenticationError,
    NebiusBadRequestError,
    NebiusConnectionError,
    NebiusContextOverflowError,
    NebiusIncompleteStreamError,
    NebiusInternalServerError,
    NebiusInvalidRequestError,
    NebiusNotFoundError,
    NebiusPaymentRequiredError,
    NebiusPermissionDeniedError,
    NebiusRateLimitError,
    NebiusRequestTooLargeError,
    NebiusResponseValidationError,
    NebiusStreamError,
    NebiusStreamIdleTimeoutError,
    NebiusTimeoutError,
    NebiusUnprocessableEntityError,
)
from .callbacks import NebiusCallbackHandler, get_nebius_callback
from .chat_models import ChatNebius
from .embeddings import NebiusEmbeddings
from .llms import NebiusLLM
from .rerank import NebiusRerank
from .retrievers import NebiusRetrievalTool, NebiusRetriever, nebius_search
from .tools import NebiusImageGenerationTool

__all__ = [
    "ChatNebius",
    "NebiusAPIError",
    "NebiusAPIStatusError",
    "NebiusAuthenticationError",
    "NebiusBadRequestError",
    "NebiusCallbackHandler",
    "NebiusConnectionError",
    "NebiusContextOverflowError",
    "NebiusEmbeddings",
    "NebiusImageGenerationTool",
    "NebiusIncompleteStreamError",
    "NebiusInternalServerError",
    "NebiusInvalidRequestError",
    "NebiusLLM",
    "NebiusNotFoundError",
    "NebiusPaymentRequiredError",
    "NebiusPermissionDeniedError",
    "NebiusRateLimitError",
    "NebiusRequestTooLargeError",
    "NebiusRerank",
    "NebiusResponseValidationError",
    "NebiusRetrievalTool",
    "NebiusRetriever",
    "NebiusStreamError",
    "NebiusStreamIdleTimeoutError",
    "NebiusTimeoutError",
    "NebiusUnprocessableEntityError",
    "__version__",
    "get_nebius_callback",
    "nebius_search",
]
