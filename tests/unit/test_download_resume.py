"""``ResumePoint``: when a cut download continues with a ``Range`` request, and when it starts
the file again."""

from __future__ import annotations

from nebius_inference._download import ResumePoint


def test_a_server_that_accepts_ranges_is_asked_for_the_rest() -> None:
    point = ResumePoint()
    assert point.headers() == {}
    assert point.start(200, {"accept-ranges": "bytes", "etag": '"v1"'}) == 0
    point.cut(500)
    assert point.headers() == {"Range": "bytes=500-", "If-Range": '"v1"'}
    assert point.start(206, {"content-range": "bytes 500-999/1000"}) == 500
    point.cut(700)
    assert point.headers()["Range"] == "bytes=700-"


def test_whole_files_and_mismatched_ranges_start_again() -> None:
    point = ResumePoint()
    point.start(200, {"accept-ranges": "bytes", "etag": 'W/"weak"', "last-modified": "Mon"})
    point.cut(10)
    assert point.headers() == {"Range": "bytes=10-", "If-Range": "Mon"}  # no weak ETag
    assert point.start(200, {"accept-ranges": "bytes"}) == 0  # the file changed: whole again
    point.cut(10)
    assert point.start(206, {"content-range": "bytes 0-99/100"}) is None  # not what was asked
    assert point.headers() == {}


def test_no_range_without_support_or_for_a_compressed_body() -> None:
    for headers in (
        {},
        {"accept-ranges": "none"},
        {"accept-ranges": "bytes", "content-encoding": "gzip"},
    ):
        point = ResumePoint()
        assert point.start(200, headers) == 0
        point.cut(123)
        assert point.headers() == {} and point.offset == 0
