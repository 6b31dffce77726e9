"""Progress shown while a long call runs (a Batch API job, bulk embeddings): the caller's
callback, and optionally a ``tqdm`` bar if tqdm is installed, else one line on stderr when
something changed."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

if TYPE_CHECKING:
    from .batch import BatchProgress

__all__ = ["Watch"]


class Watch:
    """The progress callback and the optional progress bar of one long call.

    ``unit`` names what is counted ("requests" for batch jobs, "texts" for embeddings).
    """

    def __init__(
        self,
        total: int,
        description: str,
        on_progress: Callable[[BatchProgress], object] | None,
        bar: bool,
        *,
        unit: str = "requests",
    ) -> None:
        self._callback = on_progress
        self._show = bar
        self._bar: Any = None
        self._last = ""
        self._description = description
        self._unit = unit
        if bar:
            try:  # tqdm is optional: not a dependency of this library
                tqdm_auto = importlib.import_module("tqdm.auto")
            except ImportError:
                return
            self._bar = tqdm_auto.tqdm(
                total=total, desc=description, unit="req" if unit == "requests" else unit
            )

    def __call__(self, progress: BatchProgress) -> BatchProgress:
        if self._bar is not None:
            self._bar.n = progress.finished_requests
            self._bar.set_postfix(failed=progress.failed, batches_done=progress.parts_done)
            self._bar.refresh()
        elif self._show:
            line = (
                f"{self._description}: {progress.finished_requests}/{progress.total} "
                f"{self._unit} ({progress.failed} failed), "
                f"{progress.parts_done}/{progress.parts} batches done"
            )
            if line != self._last:
                print(line, file=sys.stderr, flush=True)
                self._last = line
        if self._callback is not None:
            self._callback(progress)
        return progress

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
