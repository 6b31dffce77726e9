"""The one kind of reply: read straight off our own pools (parsed as they are, ``httpx.Response``
objects built on demand) or wrapping httpx's, and how ``httpcore``'s errors become ``httpx``'s."""

from __future__ import annotations

import gzip
import json

import httpcore
import httpx
import pytest
from multidict import CIMultiDict

from nebius_inference._base import PreparedRequest
from nebius_inference._httpcore import _transport_error
from nebius_inference._reply import Reply

BODY = json.dumps({"object": "list", "data": []}).encode()
PREPARED = PreparedRequest(
    "GET", "http://127.0.0.1:1/v1", "/models", {"verbose": True}, {}, None, httpx.Timeout(5)
)


def _reply(content: bytes, *, encoding: str | None, decoded: bool, status: int = 200) -> Reply:
    raw = [(b"Content-Type", b"application/json"), (b"Content-Length", b"%d" % len(content))]
    if encoding:
        raw.append((b"Content-Encoding", encoding.encode()))
    headers = CIMultiDict((k.decode(), v.decode()) for k, v in raw)
    return Reply(PREPARED, status, headers, raw, content, decoded=decoded)


def test_a_plain_body_is_read_as_it_is_without_httpx_objects() -> None:
    for encoding in (None, "identity"):
        reply = _reply(BODY, encoding=encoding, decoded=False)
        assert reply.content is BODY
        assert reply._response is None  # nothing built until an error or a log needs it
    failed = _reply(BODY, encoding=None, decoded=False, status=429)
    response = failed.response()
    assert response.status_code == 429 and response.content == BODY
    assert failed.request is response.request
    assert response.request.url == httpx.URL("http://127.0.0.1:1/v1/models?verbose=true")


def test_a_compressed_body_goes_through_httpx_which_decodes_it() -> None:
    reply = _reply(gzip.compress(BODY), encoding="gzip", decoded=False)
    assert reply.content == BODY
    response = reply.response()
    assert response.content == BODY
    assert response.request.url == httpx.URL("http://127.0.0.1:1/v1/models?verbose=true")


def test_a_body_the_pool_already_decoded_is_not_decoded_twice() -> None:
    reply = _reply(BODY, encoding="gzip", decoded=True)  # aiohttp undid the gzip already
    assert reply.content is BODY
    response = reply.response()
    assert response.content == BODY
    assert "content-encoding" not in response.headers


def test_an_httpx_response_is_wrapped_as_it_is() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/v1/models")
    response = httpx.Response(200, headers={"x-request-id": "r1"}, content=BODY, request=request)
    reply = Reply.of(PREPARED, response)
    assert (reply.status, reply.headers["X-Request-Id"], reply.content) == (200, "r1", BODY)
    assert reply.response() is response and reply.request is request


def test_an_open_stream_has_no_content_until_it_is_read() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/v1/models")
    response = httpx.Response(200, stream=httpx.ByteStream(BODY), request=request)
    reply = Reply.of(PREPARED, response)
    with pytest.raises(httpx.ResponseNotRead):
        reply.content  # noqa: B018
    assert reply.response().read() == BODY and reply.content == BODY


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpcore.ConnectError("refused"), httpx.ConnectError),
        (httpcore.ConnectTimeout("slow"), httpx.ConnectTimeout),
        (httpcore.ReadTimeout("slow"), httpx.ReadTimeout),
        (httpcore.PoolTimeout("busy"), httpx.PoolTimeout),
        (httpcore.RemoteProtocolError("cut"), httpx.RemoteProtocolError),
        (httpcore.ReadError("reset"), httpx.ReadError),
        (httpcore.ProxyError("407"), httpx.ProxyError),
        (httpcore.UnsupportedProtocol("ftp"), httpx.UnsupportedProtocol),
    ],
)
def test_httpcore_errors_become_httpx_errors(raised: Exception, expected: type) -> None:
    error = _transport_error(raised)
    assert type(error) is expected and str(error) == str(raised)


def test_an_unknown_httpcore_timeout_is_still_a_timeout() -> None:
    class OddTimeout(httpcore.TimeoutException):
        pass

    assert type(_transport_error(OddTimeout())) is httpx.TimeoutException
