"""The Files and Batches API as a state machine, for the scripted fake (``FakeAPI.mount``).

It speaks both dialects: Nebius (statuses validating -> running -> done, output lines
``{id, custom_id, response: <completion>, error}``) and OpenAI (validating -> in_progress ->
finalizing -> completed, ``response: {status_code, request_id, body}``). Markers in a prompt
make it misbehave for that request: ``FAIL`` (a line in the error file), ``DROP`` (no line at
all), ``MALFORM`` (a truncated output line), ``DUP`` (the line twice). A batch for the model
``broken/model`` fails validation, ``slow/model`` expires, ``missing/model`` is a 404.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from fakes.api import API_KEY
from fakes.replies import b64_vector, chat_reply

VOCABULARIES = {
    "nebius": ["validating", "running", "done"],
    "openai": ["validating", "in_progress", "finalizing", "completed"],
}


def _multipart_file(request: httpx.Request) -> tuple[bytes, str]:
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            name = re.search(rb'filename="([^"]*)"', head)
            return body.removesuffix(b"\r\n"), (name.group(1).decode() if name else "")
    raise AssertionError("no file in the upload")


class CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A file download whose connection drops half-way through."""

    def __init__(self, content: bytes) -> None:
        self.half = content[: len(content) // 2]

    def __iter__(self) -> Iterator[bytes]:
        yield self.half
        raise httpx.ReadError("connection reset half-way through the file")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.half
        raise httpx.ReadError("connection reset half-way through the file")


class SimulatedCrash(BaseException):
    """Stands for the process dying mid-call (nothing in the library catches it)."""


class FilesAndBatches:
    """Files and batches with a state machine that moves one step per GET of a batch.

    A route handler for ``FakeAPI.mount``: it answers ``/files...`` and ``/batches...`` and
    returns None for every other path."""

    def __init__(
        self,
        *,
        vocabulary: str = "nebius",
        shape: str = "nebius",
        finish_on_cancel: int = 1,
        crash_after_create: bool = False,
        lose_create_reply: bool = False,
        api_key: str = API_KEY,
    ) -> None:
        self.api_key = api_key
        self.statuses = VOCABULARIES[vocabulary]
        self.shape = shape
        self.finish_on_cancel = finish_on_cancel
        self.crash_after_create = crash_after_create
        self.lose_create_reply = lose_create_reply
        self.files: dict[str, bytes] = {}
        self.filenames: dict[str, str] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.steps: dict[str, int] = {}
        self.extra_output: list[bytes] = []
        self.cut_downloads = 0
        self.ranges = False  # answer Range requests (206) and say so (Accept-Ranges: bytes)
        self.ranges_asked: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        path = request.url.path.removeprefix("/v1")
        parts = path.strip("/").split("/")
        if parts[0] not in ("files", "batches"):
            return None
        assert request.headers["authorization"] == f"Bearer {self.api_key}"
        if parts == ["files"] and request.method == "POST":
            return self._upload(request)
        if parts[0] == "files" and parts[-1] == "content":
            data = self.files[parts[1]]
            self.ranges_asked.append(request.headers.get("range"))
            headers = {"Accept-Ranges": "bytes"} if self.ranges else {}
            status, first = 200, 0
            if self.ranges and request.headers.get("range"):
                first = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
                status = 206
                headers["Content-Range"] = f"bytes {first}-{len(data) - 1}/{len(data)}"
            if self.cut_downloads:
                self.cut_downloads -= 1
                return httpx.Response(status, headers=headers, stream=CutStream(data[first:]))
            return httpx.Response(status, headers=headers, content=data[first:])
        if parts == ["batches"] and request.method == "POST":
            return self._create(json.loads(request.content))
        if parts == ["batches"]:
            listing = [self._public(b) for b in self.batches.values()]
            return httpx.Response(200, json={"object": "list", "data": listing, "has_more": False})
        if parts[0] == "batches" and parts[-1] == "cancel":
            return self._cancel(parts[1])
        if parts[0] == "batches":
            return self._advance(parts[1])
        return None

    # -- files -----------------------------------------------------------------------------------

    def _upload(self, request: httpx.Request) -> httpx.Response:
        content, filename = _multipart_file(request)
        file_id = f"file-{len(self.files)}"
        self.files[file_id] = content
        self.filenames[file_id] = filename
        return httpx.Response(200, json={"id": file_id, "object": "file", "purpose": "batch"})

    def _store(self, lines: list[bytes]) -> str:
        file_id = f"file-{len(self.files)}"
        self.files[file_id] = b"".join(line + b"\n" for line in lines)
        return file_id

    # -- batches ---------------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        lines = [json.loads(x) for x in self.files[body["input_file_id"]].splitlines()]
        models = {line["body"]["model"] for line in lines}
        assert len(models) == 1, "one model per batch file"
        assert all(line["url"] == body["endpoint"] for line in lines)
        if "missing/model" in models:
            return httpx.Response(404, json={"detail": "Model missing/model not found"})
        batch_id = f"batch-{len(self.batches)}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body["endpoint"],
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": self.statuses[0],
            "metadata": body.get("metadata"),
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "_lines": lines,
        }
        self.steps[batch_id] = 0
        if self.crash_after_create:
            raise SimulatedCrash("the process died after the batch was created")
        if self.lose_create_reply:
            self.lose_create_reply = False
            raise httpx.ReadError("connection reset after the batch was created")
        return httpx.Response(200, json=self._public(self.batches[batch_id]))

    @staticmethod
    def _public(batch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in batch.items() if not k.startswith("_")}

    def _advance(self, batch_id: str) -> httpx.Response:
        batch = self.batches[batch_id]
        model = batch["_lines"][0]["body"]["model"]
        if batch["status"] in ("cancelling",):
            self._finish(batch, "cancelled", limit=self.finish_on_cancel)
        elif batch["status"] in ("validating",) and model == "broken/model":
            batch["status"] = "failed"
            batch["errors"] = {
                "object": "list",
                "data": [{"code": "invalid", "message": "line rejected", "line": 2}],
            }
        elif batch["status"] in ("validating",) and model == "slow/model":
            batch["status"] = self.statuses[1]
        elif batch["status"] == self.statuses[1] and model == "slow/model":
            self._finish(batch, "expired", limit=1)
        elif batch["status"] not in ("cancelled", "failed", "expired", self.statuses[-1]):
            self.steps[batch_id] += 1
            step = self.steps[batch_id]
            if step >= len(self.statuses) - 1:
                self._finish(batch, self.statuses[-1], limit=None)
            else:
                batch["status"] = self.statuses[step]
                batch["request_counts"]["completed"] = len(batch["_lines"]) // 2
        return httpx.Response(200, json=self._public(batch))

    def _cancel(self, batch_id: str) -> httpx.Response:
        batch = self.batches[batch_id]
        if batch["status"] in ("cancelled", "failed", "expired", self.statuses[-1]):
            return httpx.Response(409, json={"detail": "The batch has already finished."})
        batch["status"] = "cancelling"
        return httpx.Response(200, json=self._public(batch))

    def _finish(self, batch: dict[str, Any], status: str, *, limit: int | None) -> None:
        outputs: list[bytes] = []
        duplicates: list[bytes] = []
        errors: list[bytes] = []
        lines = batch["_lines"] if limit is None else batch["_lines"][:limit]
        for n, line in enumerate(lines):
            text = json.dumps(line["body"])
            if "DROP" in text:
                continue
            if "FAIL" in text:
                errors.append(self._line(line, n, error="the request asked to fail"))
                continue
            rendered = self._line(line, n)
            if "MALFORM" in text:
                rendered = rendered[: len(rendered) // 2]
            outputs.append(rendered)
            if "DUP" in text:
                duplicates.append(self._line(line, n, content="a second, different reply"))
        outputs.reverse()  # the order of output lines is arbitrary
        outputs.extend(duplicates + self.extra_output)
        batch["status"] = status
        batch["request_counts"]["completed"] = len(outputs)
        batch["request_counts"]["failed"] = len(errors)
        batch["output_file_id"] = self._store(outputs) if outputs else None
        batch["error_file_id"] = self._store(errors) if errors else None

    def _line(
        self, line: dict[str, Any], n: int, *, error: str | None = None, content: str | None = None
    ) -> bytes:
        custom_id = line["custom_id"]
        if error is not None:
            if self.shape == "nebius":
                detail = {"message": error, "code": "bad_request"}
                record = {"id": f"r{n}", "custom_id": custom_id, "response": None, "error": detail}
            else:
                body = {"error": {"message": error, "type": "invalid_request_error"}}
                wrapped = {"status_code": 400, "request_id": "q", "body": body}
                record = {"id": f"r{n}", "custom_id": custom_id, "response": wrapped, "error": None}
            return json.dumps(record).encode()
        reply = self._reply(line["url"], line["body"], content)
        if self.shape == "nebius":
            record = {"id": f"r{n}", "custom_id": custom_id, "response": reply, "error": None}
        else:
            response = {"status_code": 200, "request_id": f"q{n}", "body": reply}
            record = {"id": f"r{n}", "custom_id": custom_id, "response": response, "error": None}
        return json.dumps(record).encode()

    @staticmethod
    def _reply(url: str, body: dict[str, Any], content: str | None) -> dict[str, Any]:
        if url == "/v1/embeddings":
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for i, text in enumerate(texts):
                vector = [float(len(text)), float(i)]
                data.append({"index": i, "embedding": b64_vector(vector) if i % 2 else vector})
            return {"object": "list", "model": body["model"], "data": data}
        prompt = body["messages"][-1]["content"]
        return chat_reply(content or f"echo: {prompt}", model=body["model"], usage=(1, 2))
