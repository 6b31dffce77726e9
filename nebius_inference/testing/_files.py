"""In-memory files (``/v1/files``) and a small multipart/form-data parser."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from ._errors import EmulatorError, not_found, validation_error

__all__ = ["FilePart", "FileStore", "StoredFile", "parse_multipart"]

_PURPOSES = ("batch", "fine-tune")


@dataclass
class StoredFile:
    """A stored file and its metadata."""

    id: str
    filename: str
    purpose: str
    created_at: int
    data: bytes

    def to_json(self) -> dict[str, Any]:
        """The file object of the API."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


class FileStore:
    """Files by id, newest last."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def add(self, file: StoredFile) -> StoredFile:
        """Store ``file``."""
        with self._lock:
            self._files[file.id] = file
        return file

    def get(self, file_id: str) -> StoredFile:
        """Return a file or raise 404."""
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            raise not_found(f"File {file_id} not found")
        return found

    def delete(self, file_id: str) -> dict[str, Any]:
        """Delete a file or raise 404."""
        with self._lock:
            if self._files.pop(file_id, None) is None:
                raise not_found(f"File {file_id} not found")
        return {"id": file_id, "object": "file", "deleted": True}

    def list_page(self, purpose: str | None, limit: int, after: str | None) -> dict[str, Any]:
        """The ``GET /v1/files`` listing, newest first."""
        with self._lock:
            files = list(reversed(self._files.values()))
        if purpose:
            files = [item for item in files if item.purpose == purpose]
        if after:
            ids = [item.id for item in files]
            files = files[ids.index(after) + 1 :] if after in ids else []
        page = files[:limit]
        return {
            "object": "list",
            "data": [item.to_json() for item in page],
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(files) > len(page),
        }

    def clear(self) -> None:
        """Forget every file."""
        with self._lock:
            self._files.clear()


@dataclass(frozen=True)
class FilePart:
    """One part of a multipart body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


_PARAM_RE = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')


def _params(header: str) -> dict[str, str]:
    return {
        match.group(1).lower(): (match.group(2) if match.group(2) is not None else match.group(3))
        for match in _PARAM_RE.finditer(header)
    }


def parse_multipart(content_type: str, body: bytes) -> list[FilePart]:
    """Split a ``multipart/form-data`` body into parts (422 when it is not one)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise validation_error(["body"], "Expected a multipart/form-data body", "missing")
    boundary = _params(content_type).get("boundary")
    if not boundary:
        raise EmulatorError(400, "multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    parts: list[FilePart] = []
    chunks = body.split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise EmulatorError(400, "malformed multipart part")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _params(";" + headers.get("content-disposition", "").partition(";")[2])
        if "name" not in disposition:
            continue
        parts.append(
            FilePart(
                disposition["name"], disposition.get("filename"), headers.get("content-type"), data
            )
        )
    return parts


def upload(store: FileStore, parts: list[FilePart], file_id: str, now: int) -> StoredFile:
    """Handle ``POST /v1/files`` from its multipart parts."""
    fields = {part.name: part for part in parts}
    missing = [name for name in ("file", "purpose") if name not in fields]
    if missing:
        raise EmulatorError(
            422,
            [
                {"type": "missing", "loc": ["body", name], "msg": "Field required", "input": None}
                for name in missing
            ],
        )
    purpose = fields["purpose"].data.decode("utf-8", "replace").strip()
    if purpose not in _PURPOSES:
        raise validation_error(
            ["body", "purpose"], "Input should be 'batch' or 'fine-tune'", "enum", purpose
        )
    file_part = fields["file"]
    if file_part.filename is None:
        raise validation_error(["body", "file"], "Expected UploadFile, received: <class 'str'>")
    return store.add(StoredFile(file_id, file_part.filename, purpose, now, file_part.data))
