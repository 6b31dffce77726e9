"""Files: ``/v1/files``."""

from __future__ import annotations

from pydantic import Field

from ._base import APIResponse

__all__ = ["FileDeleted", "FileList", "FileObject"]


class FileObject(APIResponse):
    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None
    status_details: str | None = None


class FileList(APIResponse):
    object: str = "list"
    data: list[FileObject] = Field(default_factory=list)
    has_more: bool | None = None


class FileDeleted(APIResponse):
    id: str
    object: str = "file"
    deleted: bool = True
