"""The scripted fake of the Nebius API: records every request and answers from a queue of
scripted replies, then from a default handler, then from per-route handlers.

One handler, two ways to reach it: ``httpx.MockTransport`` in a user-supplied ``http_client``
(route ``"http_client"``), or a real HTTP/1.1 server on 127.0.0.1 (route ``"default"``, see
``server.py``) that the clients reach through their own connection pools, as they do when no
``http_client`` is given.
"""

from __future__ import annotations

import gc
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import httpx

from fakes import replies
from nebius_inference import AsyncNebiusClient, NebiusClient

API_KEY = "nb-unit-test-SECRET-key-0123456789abcdef"
BASE_URL = "https://fake.nebius.test/v1"

Handler = Callable[[httpx.Request], httpx.Response]
# A route handler answers the requests it knows and returns None for the others.
RouteHandler = Callable[[httpx.Request], "httpx.Response | None"]
Reply = httpx.Response | Handler
Route = Literal["http_client", "default"]
ROUTES: tuple[Route, ...] = ("http_client", "default")

_IDS = re.compile(r"/(file|batch)[-_][0-9a-zA-Z]+")


class FakeAPI:
    """A scripted fake of the Nebius API.

    A request is answered by the first of: the next queued reply (``queue``); ``default`` (a
    reply or a handler for every request); the route handlers (``on`` and ``mount``); and then,
    unless ``strict``, a plausible minimal reply for the endpoint (``replies.endpoint_reply``).
    A strict fake fails the test on a request nothing was scripted for.

    ``client_options`` (``api_key``, ``base_url``, ``max_retries``, ...) go to every client the
    fake builds. The reply builders are attributes too, so a test needs only the fixture.
    """

    API_KEY = API_KEY
    chat_reply = staticmethod(replies.chat_reply)
    tool_call = staticmethod(replies.tool_call)
    chunk = staticmethod(replies.chunk)
    usage_chunk = staticmethod(replies.usage_chunk)
    sse = staticmethod(replies.sse)
    stream_response = staticmethod(replies.stream_response)

    def __init__(
        self, default: Reply | None = None, *, strict: bool = False, **client_options: Any
    ) -> None:
        self.default = default
        self.strict = strict
        self.client_options: dict[str, Any] = {"api_key": API_KEY, **client_options}
        self.replies: deque[Reply] = deque()
        self.by_path: list[tuple[str | None, str, Reply]] = []
        self.mounted: list[RouteHandler] = []
        self.requests: list[httpx.Request] = []
        self.log: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.route: Route = "http_client"
        self.server: Any = None  # a FakeServer while serving on 127.0.0.1

    # -- scripting -------------------------------------------------------------------------------

    def queue(self, *answers: Reply | dict[str, Any]) -> FakeAPI:
        """Queue replies, answered in order (a dict is a 200 JSON reply)."""
        for answer in answers:
            self.replies.append(
                httpx.Response(200, json=answer) if isinstance(answer, dict) else answer
            )
        return self

    def on(
        self, path: str, answer: Reply | dict[str, Any], *, method: str | None = None
    ) -> FakeAPI:
        """Answer every request to ``path`` (after ``/v1``) with ``answer`` when none is queued."""
        reply = httpx.Response(200, json=answer) if isinstance(answer, dict) else answer
        self.by_path.append((method, path, reply))
        return self

    def mount(self, handler: RouteHandler) -> FakeAPI:
        """Add a route handler (e.g. ``FilesAndBatches``): it answers what it knows, else None."""
        self.mounted.append(handler)
        return self

    # -- answering -------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path = request.url.path
        self.log.append((request.method, _IDS.sub(r"/{\1}", path.removeprefix("/v1"))))
        if self.replies:
            return _answer(self.replies.popleft(), request)
        if self.default is not None:
            return _answer(self.default, request)
        for method, route_path, reply in self.by_path:
            if path.removeprefix("/v1") == route_path and method in (None, request.method):
                return _answer(reply, request)
        for handler in self.mounted:
            response = handler(request)
            if response is not None:
                return response
        if self.strict:
            message = f"unexpected request: {request.method} {request.url}"
            self.errors.append(message)
            raise AssertionError(message)
        return replies.endpoint_reply(request)

    # -- what was sent ---------------------------------------------------------------------------

    def body(self, index: int = -1) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[index].content)
        return parsed

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) if r.content else {} for r in self.requests]

    def count(self, method: str, path: str) -> int:
        """How many requests went to ``path`` (after ``/v1``; file and batch ids read ``{file}``
        and ``{batch}``)."""
        return sum(1 for m, p in self.log if m == method and p == path)

    # -- clients ---------------------------------------------------------------------------------

    @contextmanager
    def serving(self, route: Route) -> Iterator[FakeAPI]:
        """Build clients for ``route`` inside the block: on ``"default"``, serve on 127.0.0.1.
        Fails on leaving if a request came that nothing was scripted for."""
        if route == "default":
            from fakes.server import FakeServer

            with FakeServer(self) as server:
                self.route, self.server = route, server
                try:
                    yield self
                finally:
                    self.route, self.server = "http_client", None
                    # Clients the test dropped are collected now (the young generations hold
                    # them; a full collection would cost ~0.25 s a test), so a warning about one
                    # of their pools is reported by this test and not by a later one.
                    gc.collect(1)
        else:
            yield self
        assert not self.errors, self.errors

    @property
    def base_url(self) -> str:
        """The base URL the fake's clients use on the current route."""
        url: str = self.options()["base_url"]
        return url

    def options(self, **overrides: Any) -> dict[str, Any]:
        """Settings for a client on the current route (without the ``http_client``)."""
        options = {**self.client_options, **overrides}
        if self.server is not None:
            options["base_url"] = self.server.base_url
        return options

    def sync_client(self, **overrides: Any) -> NebiusClient:
        if self.server is not None:
            return NebiusClient(**self.options(**overrides))
        http = httpx.Client(transport=httpx.MockTransport(self))
        return NebiusClient(http_client=http, **self.options(**overrides))

    def async_client(self, **overrides: Any) -> AsyncNebiusClient:
        if self.server is not None:
            return AsyncNebiusClient(**self.options(**overrides))
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return AsyncNebiusClient(http_client=http, **self.options(**overrides))

    def clients(self, **overrides: Any) -> dict[str, Any]:
        """``client`` and ``async_client`` for the LlamaIndex classes."""
        return {
            "client": self.sync_client(**overrides),
            "async_client": self.async_client(**overrides),
        }

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Constructor arguments that point a LangChain class at this fake (no retries)."""
        options = self.options(**{"max_retries": 0, **overrides})
        if self.server is None:
            transport = httpx.MockTransport(self)
            options["http_client"] = httpx.Client(transport=transport)
            options["http_async_client"] = httpx.AsyncClient(transport=transport)
        return options


def _answer(reply: Reply, request: httpx.Request) -> httpx.Response:
    if callable(reply):
        return reply(request)
    if isinstance(reply.stream, httpx.ByteStream):
        # A fresh copy: one Response cannot be sent twice (or to a sync and an async client).
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
    return reply
