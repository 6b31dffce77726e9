"""The ``nebius_inference`` logger. ``NEBIUS_LOG=debug`` (or ``info``) turns it on.

Request logs never show the API key: the ``Authorization`` header is redacted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

__all__ = ["logger", "redact_headers", "setup_logging"]

logger = logging.getLogger("nebius_inference")

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {
        name: ("[redacted]" if name.lower() in SENSITIVE_HEADERS else value)
        for name, value in headers
    }


def setup_logging(level: str | None = None) -> None:
    """Send the library's logs to stderr at ``level`` (default: ``NEBIUS_LOG``)."""
    name = (level or os.environ.get("NEBIUS_LOG", "")).strip().upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        return
    logger.setLevel(name)
    if not any(getattr(h, "_nebius", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        handler._nebius = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
