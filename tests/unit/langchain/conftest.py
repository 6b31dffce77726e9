"""The LangChain unit tests run against the scripted fake API (``tests/fakes``) on both send
routes: ``http_client``/``http_async_client`` bound to it through ``httpx.MockTransport``, and
the default route (the clients' own pools) to it on 127.0.0.1. It records each request and
answers from a queue of scripted replies (or a plausible default one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes import BASE_URL, FakeAPI, Route, open_fake


@pytest.fixture
def fake(route: Route) -> Iterator[FakeAPI]:
    yield from open_fake(route, base_url=BASE_URL)
