"""Fixtures for the LlamaIndex unit tests: the scripted fake API (``tests/fakes``) on both send
routes (MockTransport in a user-supplied client, and the default route to 127.0.0.1). The fake
is strict: a request nothing was scripted for fails the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakes import BASE_URL, FakeAPI, Route, open_fake

from llama_index_nebius import NebiusLLM


@pytest.fixture
def fake(route: Route) -> Iterator[FakeAPI]:
    yield from open_fake(route, strict=True, base_url=BASE_URL)


@pytest.fixture
def make_llm(fake: FakeAPI) -> Callable[..., NebiusLLM]:
    def make(**kwargs: Any) -> NebiusLLM:
        client_kwargs = {k: kwargs.pop(k) for k in ("max_retries",) if k in kwargs}
        return NebiusLLM(**fake.clients(**client_kwargs), **kwargs)

    return make
