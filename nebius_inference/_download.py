"""Where a cut download continues: pure bookkeeping for ``download_file_content``.

A server that answers ``Accept-Ranges: bytes`` is asked for the rest of the file
(``Range: bytes=<written>-``, with ``If-Range`` when it gave a strong ``ETag`` or a
``Last-Modified``); a ``206`` that starts where the file on disk ends is appended to it. Any
other reply (a ``200``: the server sent the whole file, or the file changed) starts the file
again from its first byte. A compressed body (``Content-Encoding``) is never continued: its
offsets on the wire are not those of the file on disk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ResumePoint"]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-\d+/(?:\d+|\*)\s*$", re.IGNORECASE)


@dataclass
class ResumePoint:
    """What a download has on disk and whether its server can continue it."""

    offset: int = 0
    ranges: bool = False
    validator: str | None = None

    def headers(self) -> dict[str, str]:
        """The headers of the next request: a ``Range`` for the rest, or none."""
        if not (self.ranges and self.offset):
            return {}
        headers = {"Range": f"bytes={self.offset}-"}
        if self.validator:
            headers["If-Range"] = self.validator
        return headers

    def start(self, status: int, headers: Mapping[str, str]) -> int | None:
        """Where the reply's body goes in the file: ``offset`` for a ``206`` that continues it,
        ``0`` for a whole file (learning whether this server can continue a cut), ``None`` for
        a ``206`` of other bytes than asked (start again without a range)."""
        if status == 206:
            match = _CONTENT_RANGE.match(headers.get("content-range", ""))
            if self.headers() and match is not None and int(match.group(1)) == self.offset:
                return self.offset
            self.ranges, self.offset = False, 0
            return None
        # Offsets count the bytes on the wire: only an unencoded body can be continued.
        encoded = headers.get("content-encoding", "identity").strip().lower() != "identity"
        self.ranges = not encoded and headers.get("accept-ranges", "").strip().lower() == "bytes"
        etag = headers.get("etag")
        strong = etag if etag and not etag.startswith("W/") else None
        self.validator = strong or headers.get("last-modified")
        self.offset = 0
        return 0

    def cut(self, written: int) -> None:
        """The connection dropped with ``written`` bytes of the file on disk."""
        self.offset = written if self.ranges else 0
