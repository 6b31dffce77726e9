"""Files: ``/v1/files``."""

from __future__ import annotations

from pydantic import Field

from ._base import ResponseModel

__all__ = ["FileDeleted", "FileList", "FileObject"]


class FileObject(ResponseModel):
    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None
    status_details: str | None = None


class FileList(ResponseModel):
    object: str = "list"
    data: list[FileObject] = Field(default_factory=list)
    has_more: bool | None = None


class FileDeleted(ResponseModel):
    id: str
    object: str = "file"
    deleted: bool = True
