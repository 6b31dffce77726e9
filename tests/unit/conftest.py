"""Fixtures for the unit tests: the scripted fake (``tests/fakes``) and the send route under
test (``route``: a test asking for it runs through MockTransport and on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeAPI, Handler, route  # noqa: F401 (the route fixture)


@pytest.fixture
def recorder() -> Callable[[Handler], FakeAPI]:
    """The fake answering every request with a handler (through MockTransport)."""
    return FakeAPI
