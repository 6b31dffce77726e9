"""One scripted fake of the Nebius API for the tests (see ``api.FakeAPI``): it records every
request, answers from a queue of scripted replies, a default handler or per-route handlers
(the files and batches state machine is one), and is reached either through
``httpx.MockTransport`` in a user-supplied ``http_client`` or over a real socket on 127.0.0.1
(the clients' default send route)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fakes.api import API_KEY, BASE_URL, ROUTES, FakeAPI, Handler, Reply, Route
from fakes.batches import FilesAndBatches, SimulatedCrash
from fakes.replies import (
    b64_vector,
    chat_reply,
    chunk,
    completion_reply,
    embeddings_reply,
    endpoint_reply,
    error_response,
    images_reply,
    models_reply,
    rerank_reply,
    sse,
    stream_response,
    tool_call,
    usage,
    usage_chunk,
)
from fakes.server import FakeServer

__all__ = [
    "API_KEY",
    "BASE_URL",
    "ROUTES",
    "FakeAPI",
    "FakeServer",
    "FilesAndBatches",
    "Handler",
    "Reply",
    "Route",
    "SimulatedCrash",
    "b64_vector",
    "chat_reply",
    "chunk",
    "completion_reply",
    "embeddings_reply",
    "endpoint_reply",
    "error_response",
    "images_reply",
    "models_reply",
    "open_fake",
    "rerank_reply",
    "route",
    "sse",
    "stream_response",
    "tool_call",
    "usage",
    "usage_chunk",
]


@pytest.fixture(params=ROUTES)
def route(request: pytest.FixtureRequest) -> Route:
    """The send route under test: ``"http_client"`` (a user-supplied client on
    ``httpx.MockTransport``) or ``"default"`` (the client's own pool, to the fake on 127.0.0.1).
    A test that needs MockTransport narrows it with ``@pytest.mark.parametrize("route",
    ["http_client"])`` and a comment saying why."""
    value: Route = request.param
    return value


def open_fake(route: Route, **options: Any) -> Iterator[FakeAPI]:
    """A fixture body: a ``FakeAPI(**options)`` reached on ``route`` for the test's duration."""
    with FakeAPI(**options).serving(route) as fake:
        yield fake
