"""Fixtures for the core's unit tests: mock transports, no sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mock_api import Handler, Recorder


@pytest.fixture
def recorder() -> Callable[[Handler], Recorder]:
    return Recorder
