"""Fixtures for the core's unit tests: mock transports, no sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeAPI, Handler


@pytest.fixture
def recorder() -> Callable[[Handler], FakeAPI]:
    return FakeAPI
