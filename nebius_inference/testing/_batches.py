"""Batches (``/v1/batches``): validation, a step-by-step state machine and output files."""

from __future__ import annotations

import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._dispatch import BATCH_URLS, run_json
from ._errors import EmulatorError, not_found, parse_body
from ._faults import Fault
from ._files import StoredFile
from ._jsonutil import dumps, stable_int
from ._requests import BatchCreateRequest

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["BatchStore"]

_TERMINAL = frozenset({"done", "failed", "expired", "cancelled"})
_OPENAI_NAMES = {"running": "in_progress", "done": "completed"}


@dataclass
class _Line:
    number: int
    custom_id: str
    url: str
    body: dict[str, Any]


@dataclass
class _Batch:
    id: str
    endpoint: str
    input_file_id: str
    created_at: int
    metadata: dict[str, str] | None
    override: dict[str, Any]
    raw_lines: list[tuple[int, str]]
    order_seed: int
    drop: int = 0
    malformed: int = 0
    force: str | None = None
    phase: str = "validating"
    lines: list[_Line] = field(default_factory=list)
    executed: int = 0
    outputs: list[str] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)
    errors: dict[str, Any] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    stamps: dict[str, int | None] = field(default_factory=dict)
    last_step: float = field(default_factory=time.monotonic)

    def finished(self) -> bool:
        return self.phase in _TERMINAL


class BatchStore:
    """All batches of one emulator."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.RLock()

    # -- public operations --------------------------------------------------------------------

    def create(self, body: Any, fault: Fault | None = None) -> dict[str, Any]:
        """Handle ``POST /v1/batches``."""
        state, config = self._state, self._state.config
        request = parse_body(BatchCreateRequest, body)
        source = state.files.get(request.input_file_id)
        if source.purpose != "batch":
            raise EmulatorError(
                400, f"File {source.id} has purpose {source.purpose!r}; batches need 'batch'"
            )
        if len(source.data) > config.max_batch_file_bytes:
            raise EmulatorError(
                400,
                f"The input file is {len(source.data)} bytes; the limit is "
                f"{config.max_batch_file_bytes} bytes",
            )
        override = (
            request.override_settings.model_dump(exclude_none=True, exclude_unset=True)
            if (request.override_settings)
            else {}
        )
        raw_lines = self._prescan(source.data, request.endpoint, override)
        with self._lock:
            active = sum(1 for batch in self._batches.values() if not batch.finished())
            if active >= config.max_batches:
                raise EmulatorError(
                    400, f"Too many active batches: the limit is {config.max_batches}"
                )
            batch = _Batch(
                id=f"batch_{state.new_uuid()}",
                endpoint=request.endpoint,
                input_file_id=source.id,
                created_at=state.now(),
                metadata=request.metadata,
                override=override,
                raw_lines=raw_lines,
                order_seed=stable_int(source.data.decode("utf-8", "replace"), bits=32),
                drop=config.batch_drop_output_lines,
                malformed=config.batch_malformed_output_lines,
            )
            if fault is not None:
                if fault.kind == "batch_fail":
                    batch.force = "fail"
                elif fault.kind == "batch_expire":
                    batch.force = "expire"
                elif fault.kind == "batch_drop_output":
                    batch.drop = fault.lines if fault.lines is not None else 1
                elif fault.kind == "batch_malformed_output":
                    batch.malformed = fault.lines if fault.lines is not None else 1
            self._batches[batch.id] = batch
            return self._json(batch)

    def get(self, batch_id: str, polled: bool = True) -> dict[str, Any]:
        """Handle ``GET /v1/batches/{id}``; a poll advances the batch when so configured."""
        with self._lock:
            batch = self._find(batch_id)
            self._auto_advance(batch, polled)
            return self._json(batch)

    def list_page(self, limit: int, after: str | None, input_file_id: str | None) -> dict[str, Any]:
        """Handle ``GET /v1/batches``: newest first, paged with ``after``."""
        with self._lock:
            batches = list(reversed(self._batches.values()))
            for batch in batches:
                self._auto_advance(batch, polled=False)
            if input_file_id:
                batches = [batch for batch in batches if batch.input_file_id == input_file_id]
            if after:
                ids = [batch.id for batch in batches]
                batches = batches[ids.index(after) + 1 :] if after in ids else []
            page = batches[:limit]
            return {
                "object": "list",
                "data": [self._json(batch) for batch in page],
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
                "has_more": len(batches) > len(page),
            }

    def cancel(self, batch_id: str) -> dict[str, Any]:
        """Handle ``POST /v1/batches/{id}/cancel``."""
        with self._lock:
            batch = self._find(batch_id)
            self._auto_advance(batch, polled=False)
            if batch.phase == "cancelling":
                return self._json(batch)
            if batch.finished() or batch.phase == "finalizing":
                raise EmulatorError(
                    400,
                    f"Batch {batch.id} cannot be cancelled: its status is {self._status(batch)!r}",
                )
            batch.phase = "cancelling"
            batch.stamps["cancelling_at"] = self._state.now()
            batch.last_step = time.monotonic()
            return self._json(batch)

    def advance(self, steps: int = 1, batch_id: str | None = None) -> None:
        """Advance every unfinished batch (or one) by ``steps`` steps."""
        with self._lock:
            targets = [self._find(batch_id)] if batch_id else list(self._batches.values())
            for batch in targets:
                for _ in range(steps):
                    if batch.finished():
                        break
                    self._step(batch)

    def finish(self, batch_id: str | None = None) -> None:
        """Advance batches until they reach a final status."""
        with self._lock:
            targets = [self._find(batch_id)] if batch_id else list(self._batches.values())
            for batch in targets:
                while not batch.finished():
                    self._step(batch)

    def clear(self) -> None:
        """Forget every batch."""
        with self._lock:
            self._batches.clear()

    # -- validation -----------------------------------------------------------------------

    def _prescan(
        self, data: bytes, endpoint: str, override: dict[str, Any]
    ) -> list[tuple[int, str]]:
        """Checks done when the batch is created (400 on failure)."""
        config = self._state.config
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise EmulatorError(400, "The input file is not UTF-8 text") from None
        raw_lines = [
            (number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
        if not raw_lines:
            raise EmulatorError(400, "The input file has no requests")
        if len(raw_lines) > config.max_batch_requests:
            raise EmulatorError(
                400,
                f"The input file has {len(raw_lines)} requests; the limit is "
                f"{config.max_batch_requests}",
            )
        models: dict[str, int] = {}
        for number, line in raw_lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue  # reported by the asynchronous validation
            if not isinstance(item, dict):
                continue
            url = item.get("url")
            if url is not None and url not in BATCH_URLS:
                raise EmulatorError(
                    400, f"Line {number}: url must be one of {list(BATCH_URLS)}, got {url!r}"
                )
            if url is not None and url != endpoint:
                raise EmulatorError(
                    400,
                    f"Line {number}: url {url!r} does not match the batch endpoint {endpoint!r}",
                )
            body = item.get("body")
            model = override.get("model") or (body.get("model") if isinstance(body, dict) else None)
            if isinstance(model, str):
                models.setdefault(model, number)
        if len(models) > 1:
            listed = ", ".join(f"{name!r} (line {line})" for name, line in models.items())
            raise EmulatorError(
                400, f"All requests in a batch must use the same model; found {listed}"
            )
        return raw_lines

    def _validate(self, batch: _Batch) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []
        for number, line in batch.raw_lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(
                    _problem(number, "invalid_json", f"Line {number} is not JSON: {exc.msg}")
                )
                continue
            if not isinstance(item, dict):
                problems.append(
                    _problem(number, "invalid_request", f"Line {number} is not an object")
                )
                continue
            for key, kind in (("custom_id", str), ("method", str), ("url", str), ("body", dict)):
                if not isinstance(item.get(key), kind):
                    problems.append(
                        _problem(
                            number,
                            "missing_field",
                            f"Line {number}: {key!r} is missing or invalid",
                            key,
                        )
                    )
                    break
            else:
                if item["method"].upper() != "POST":
                    problems.append(
                        _problem(
                            number,
                            "invalid_method",
                            f"Line {number}: method must be POST",
                            "method",
                        )
                    )
                    continue
                batch.lines.append(_Line(number, item["custom_id"], item["url"], item["body"]))
        return problems

    # -- the state machine -------------------------------------------------------------------

    def _auto_advance(self, batch: _Batch, polled: bool) -> None:
        config = self._state.config
        if batch.finished():
            return
        if config.batch_advance == "poll" and polled:
            self._step(batch)
        elif config.batch_advance == "time":
            interval = config.batch_step_seconds
            if interval <= 0:
                while not batch.finished():
                    self._step(batch)
                return
            due = math.floor((time.monotonic() - batch.last_step) / interval)
            for _ in range(due):
                if batch.finished():
                    break
                self._step(batch)
            if due > 0:
                batch.last_step = time.monotonic()

    def _step(self, batch: _Batch) -> None:
        now = self._state.now()
        batch.last_step = time.monotonic()
        if batch.phase == "validating":
            problems = self._validate(batch)
            if batch.force == "fail" and not problems:
                problems = [_problem(None, "batch_failed", "The batch failed (emulated failure)")]
            if problems:
                batch.phase = "failed"
                batch.errors = {"object": "list", "data": problems}
                batch.stamps["failed_at"] = now
                batch.lines = []
                return
            batch.phase = "running"
            batch.stamps["in_progress_at"] = now
        elif batch.phase == "running":
            total = len(batch.lines)
            if batch.force == "expire":
                self._execute(batch, math.ceil(total / 2) - batch.executed)
                batch.phase = "expired"
                batch.stamps["expired_at"] = now
                self._write_files(batch)
                return
            per_step = self._state.config.batch_lines_per_step
            self._execute(batch, per_step if per_step > 0 else total)
            if batch.executed >= total:
                batch.stamps["finalizing_at"] = now
                self._write_files(batch)
                if self._state.config.batch_statuses == "openai":
                    batch.phase = "finalizing"
                else:
                    batch.phase = "done"
                    batch.stamps["completed_at"] = now
        elif batch.phase == "finalizing":
            batch.phase = "done"
            batch.stamps["completed_at"] = now
        elif batch.phase == "cancelling":
            batch.phase = "cancelled"
            batch.stamps["cancelled_at"] = now
            self._write_files(batch)

    def _execute(self, batch: _Batch, count: int) -> None:
        state = self._state
        for line in batch.lines[batch.executed : batch.executed + max(0, count)]:
            batch.executed += 1
            body = dict(line.body)
            for key, value in batch.override.items():
                if key == "model" or line.url == "/v1/chat/completions":
                    body[key] = value
            line_id = f"batch_req_{state.new_uuid()}"
            try:
                reply = run_json(state, line.url, body)
            except EmulatorError as exc:
                error = {"message": exc.message, "code": exc.code}
                batch.error_lines.append(_line_json(line_id, line.custom_id, None, error))
                continue
            except Exception as exc:  # a bug in a handler must not kill the batch
                error = {"message": f"internal error: {exc}", "code": "server_error"}
                batch.error_lines.append(_line_json(line_id, line.custom_id, None, error))
                continue
            response: Any = reply
            if state.config.batch_output_format == "openai":
                response = {"status_code": 200, "request_id": state.new_hex(), "body": reply}
            batch.outputs.append(_line_json(line_id, line.custom_id, response, None))

    def _ordered(self, lines: list[str], seed: int) -> list[str]:
        order = self._state.config.batch_output_order
        if order == "reversed":
            return list(reversed(lines))
        if order == "shuffled":
            shuffled = list(lines)
            random.Random(seed).shuffle(shuffled)
            return shuffled
        return list(lines)

    def _write_files(self, batch: _Batch) -> None:
        outputs = self._ordered(batch.outputs, batch.order_seed)
        outputs = outputs[batch.drop :]
        for index in range(min(batch.malformed, len(outputs))):
            outputs[index] = outputs[index][: max(1, len(outputs[index]) // 2)]
        if batch.outputs:
            batch.output_file_id = self._store(batch, "output", outputs)
        if batch.error_lines:
            batch.error_file_id = self._store(
                batch, "error", self._ordered(batch.error_lines, batch.order_seed + 1)
            )

    def _store(self, batch: _Batch, kind: str, lines: list[str]) -> str:
        state = self._state
        data = "".join(line + "\n" for line in lines).encode()
        stored = StoredFile(
            f"file-{state.new_uuid()}",
            f"{batch.id}_{kind}.jsonl",
            "batch_output",
            state.now(),
            data,
        )
        state.files.add(stored)
        return stored.id

    # -- rendering ----------------------------------------------------------------------------

    def _find(self, batch_id: str) -> _Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise not_found(f"Batch {batch_id} not found")
        return batch

    def _status(self, batch: _Batch) -> str:
        if self._state.config.batch_statuses == "openai":
            return _OPENAI_NAMES.get(batch.phase, batch.phase)
        return batch.phase

    def _json(self, batch: _Batch) -> dict[str, Any]:
        stamps = batch.stamps
        succeeded = len(batch.outputs)
        failed = len(batch.error_lines)
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": batch.errors,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": self._status(batch),
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "in_progress_at": stamps.get("in_progress_at"),
            "expires_at": batch.created_at + 86400,
            "finalizing_at": stamps.get("finalizing_at"),
            "completed_at": stamps.get("completed_at"),
            "failed_at": stamps.get("failed_at"),
            "expired_at": stamps.get("expired_at"),
            "cancelling_at": stamps.get("cancelling_at"),
            "cancelled_at": stamps.get("cancelled_at"),
            "request_counts": {
                "total": len(batch.lines),
                "completed": succeeded,
                "failed": failed,
            },
            "metadata": batch.metadata,
        }


def _problem(line: int | None, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def _line_json(line_id: str, custom_id: str, response: Any, error: Any) -> str:
    return dumps(
        {"id": line_id, "custom_id": custom_id, "response": response, "error": error}
    ).decode()
