"""A fast, typed client for the Nebius AI Studio / Token Factory inference API.

>>> from nebius_inference import NebiusClient
>>> client = NebiusClient()  # reads NEBIUS_API_KEY
>>> reply = client.create_chat_completion(
...     model="Qwen/Qwen3-235B-A22B-Instruct-2507",
...     messages=[{"role": "user", "content": "Hello!"}],
... )
"""

from ._client import AsyncNebiusClient, NebiusClient
from ._config import DEFAULT_BASE_URL, Secret, Timeouts
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ContextLengthExceededError,
    IncompleteStreamError,
    InternalServerError,
    InvalidRequestError,
    NebiusError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    StreamIdleTimeoutError,
    UnprocessableEntityError,
)
from ._extras import require_extra
from ._install import check_install
from ._logs import setup_logging
from ._reasoning import split_think_block
from ._retry import RetryPolicy
from ._streaming import AsyncStream, Stream
from ._version import __version__

check_install()  # fails beside the official langchain-nebius, which shares a module name
setup_logging()

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncNebiusClient",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ContextLengthExceededError",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidRequestError",
    "NebiusClient",
    "NebiusError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "RetryPolicy",
    "Secret",
    "Stream",
    "StreamIdleTimeoutError",
    "Timeouts",
    "UnprocessableEntityError",
    "__version__",
    "require_extra",
    "setup_logging",
    "split_think_block",
]
