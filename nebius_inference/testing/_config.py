"""Emulator configuration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._faults import Fault
from ._models import ModelSpec, default_models

__all__ = ["EmulatorConfig"]


@dataclass
class EmulatorConfig:
    """Settings of one emulator.

    Authentication:
        api_keys: accepted API keys; ``None`` or empty accepts any non-empty key.

    Models:
        models: the model table (see :func:`default_models`).

    Batches:
        max_batch_requests, max_batch_file_bytes: limits on one batch input file.
        max_batches: how many batches may be active (not finished) at once.
        batch_advance: how batches move on. ``"poll"``: each ``GET /v1/batches/{id}``
            advances that batch one step; ``"time"``: one step every
            ``batch_step_seconds`` (``0``: finish at the first look); ``"manual"``: only
            :meth:`Emulator.advance_batches` moves them.
        batch_step_seconds: step interval for ``batch_advance="time"``.
        batch_lines_per_step: request lines executed per step while running (``0``: all
            in one step), so ``request_counts`` can be seen growing.
        batch_statuses: ``"nebius"`` (``validating → running → done``, as the live API
            reports) or ``"openai"`` (``validating → in_progress → finalizing → completed``).
        batch_output_format: ``"nebius"`` lines ``{"id","custom_id","response": <body>,
            "error"}`` or ``"openai"`` lines whose ``response`` is
            ``{"status_code","request_id","body"}``.
        batch_output_order: ``"shuffled"`` (fixed seed), ``"reversed"`` or ``"input"``.
        batch_drop_output_lines, batch_malformed_output_lines: for every batch, leave that
            many successful lines out of the output file, or write them as broken JSON.

    Backend:
        guided_decoding: ``"honoured"`` (``guided_json``/``guided_regex``/``guided_choice``
            constrain the output, as the Nebius API and vLLM before 0.12 do) or ``"ignored"``
            (they are accepted and ignored, HTTP 200 and unconstrained output, as vLLM 0.12 and
            later do; a ``json_schema`` ``response_format`` is still enforced).

    Other:
        faults: faults armed when the emulator starts (see :class:`Fault`).
        max_embedding_inputs: most inputs in one embeddings request (422 beyond).
        rate_limit_requests, rate_limit_tokens: the limits per model and window, reported in
            the ``x-ratelimit-*`` headers of every reply.
        rate_limit_window: the window's length in seconds (windows are fixed, per model).
        rate_limit_enforce: answer requests over the limit with 429, ``Retry-After`` and
            ``x-ratelimit-over-limit: yes`` (off by default: the headers only report).
        rate_limit_serve_over: with ``rate_limit_enforce``, serve requests over the limit
            anyway, this many seconds late ("lower priority"), marked
            ``x-ratelimit-over-limit: yes``, instead of answering 429.
        fixed_time: if set, every ``created``/``created_at`` timestamp uses it.
        request_log_limit: the request log keeps this many most recent requests.
        max_stored_images: generated images kept for URL download.
    """

    api_keys: Sequence[str] | None = ("test-key",)
    models: Sequence[ModelSpec] = field(default_factory=default_models)
    max_batch_requests: int = 5_000_000
    max_batch_file_bytes: int = 10 * 1024**3
    max_batches: int = 500
    batch_advance: Literal["poll", "time", "manual"] = "poll"
    batch_step_seconds: float = 0.0
    batch_lines_per_step: int = 0
    batch_statuses: Literal["nebius", "openai"] = "nebius"
    batch_output_format: Literal["nebius", "openai"] = "nebius"
    batch_output_order: Literal["shuffled", "reversed", "input"] = "shuffled"
    batch_drop_output_lines: int = 0
    batch_malformed_output_lines: int = 0
    guided_decoding: Literal["honoured", "ignored"] = "honoured"
    faults: Sequence[Fault] = ()
    max_embedding_inputs: int = 2048
    rate_limit_requests: int = 600
    rate_limit_tokens: int = 400_000
    rate_limit_window: float = 60.0
    rate_limit_enforce: bool = False
    rate_limit_serve_over: float | None = None
    fixed_time: int | None = None
    request_log_limit: int = 10_000
    max_stored_images: int = 256

    @property
    def api_key(self) -> str:
        """A key clients can use: the first accepted key, or ``"test-key"``."""
        return self.api_keys[0] if self.api_keys else "test-key"
