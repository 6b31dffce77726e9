"""Batches: ``/v1/batches``, and the lines of batch input and output files.

The live API reports statuses ``validating -> running -> done`` where OpenAI says
``validating -> in_progress -> finalizing -> completed``; :attr:`Batch.state` maps both to one
vocabulary. Output lines are ``{id, custom_id, response: <completion>, error}`` on Nebius and
``{id, custom_id, response: {status_code, request_id, body}, error}`` on OpenAI;
:meth:`BatchOutputLine.outcome` reads both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import APIResponse, FalseIfNull, RequestModel, ResponseModel, ZeroIfNull

__all__ = [
    "TERMINAL_STATES",
    "Batch",
    "BatchCreateRequest",
    "BatchList",
    "BatchOutcome",
    "BatchOutputLine",
    "BatchRequestCounts",
    "BatchState",
    "normalize_batch_status",
]

BatchState = Literal[
    "validating",
    "running",
    "finalizing",
    "completed",
    "failed",
    "expired",
    "cancelling",
    "cancelled",
    "unknown",
]

_STATUS_MAP: dict[str, BatchState] = {
    "validating": "validating",
    "validated": "validating",
    "queued": "validating",
    "pending": "validating",
    "in_progress": "running",
    "running": "running",
    "finalizing": "finalizing",
    "done": "completed",
    "completed": "completed",
    "succeeded": "completed",
    "failed": "failed",
    "error": "failed",
    "expired": "expired",
    "cancelling": "cancelling",
    "canceling": "cancelling",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}

TERMINAL_STATES: frozenset[BatchState] = frozenset({"completed", "failed", "expired", "cancelled"})


def normalize_batch_status(status: str | None) -> BatchState:
    """Map a status from either vocabulary (Nebius or OpenAI) to one :data:`BatchState`."""
    return _STATUS_MAP.get((status or "").strip().lower(), "unknown")


class BatchCreateRequest(RequestModel):
    input_file_id: str = Field(min_length=1)
    endpoint: Literal["/v1/chat/completions", "/v1/embeddings"] = "/v1/chat/completions"
    completion_window: Literal["24h"] = "24h"
    metadata: dict[str, str] | None = None
    override_settings: dict[str, Any] | None = None


class BatchRequestCounts(ResponseModel):
    total: ZeroIfNull = 0
    completed: ZeroIfNull = 0
    failed: ZeroIfNull = 0


class Batch(APIResponse):
    id: str
    object: str = "batch"
    endpoint: str | None = None
    input_file_id: str | None = None
    completion_window: str | None = None
    status: str = "validating"
    created_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    expires_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    metadata: dict[str, Any] | None = None
    errors: Any = None

    @property
    def state(self) -> BatchState:
        return normalize_batch_status(self.status)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class BatchList(APIResponse):
    object: str = "list"
    data: list[Batch] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: FalseIfNull = False


class BatchOutcome(ResponseModel):
    """One output line, read: either ``body`` (the endpoint's reply) or ``error`` is set."""

    custom_id: str
    body: dict[str, Any] | None = None
    error: str | None = None
    status_code: int | None = None


class BatchOutputLine(ResponseModel):
    id: str | None = None
    custom_id: str
    response: dict[str, Any] | None = None
    error: Any = None

    def outcome(self) -> BatchOutcome:
        """Read the line in either shape; a non-2xx wrapped status becomes an error."""
        if self.error not in (None, {}, ""):
            return BatchOutcome(custom_id=self.custom_id, error=_error_text(self.error))
        response = self.response
        if response is None:
            return BatchOutcome(custom_id=self.custom_id, error="the line has no response")
        if "body" in response and ("status_code" in response or "request_id" in response):
            status = response.get("status_code")
            body = response.get("body")
            code = int(status) if isinstance(status, int) else None
            if code is not None and not 200 <= code < 300:
                return BatchOutcome(
                    custom_id=self.custom_id, error=_error_text(body), status_code=code
                )
            if not isinstance(body, dict):
                return BatchOutcome(custom_id=self.custom_id, error="the line's body is not JSON")
            return BatchOutcome(custom_id=self.custom_id, body=body, status_code=code)
        if (
            "choices" not in response
            and "data" not in response
            and ("error" in response or "detail" in response)
        ):
            return BatchOutcome(custom_id=self.custom_id, error=_error_text(response))
        return BatchOutcome(custom_id=self.custom_id, body=response, status_code=200)


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            message = inner.get("message") or inner.get("detail") or inner
            code = inner.get("code")
            return f"{message} (code: {code})" if code else str(message)
        if "detail" in error:
            return str(error["detail"])
        return str(inner)
    return str(error)
