"""Fixtures of the real-server tier (see ``llama_server.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from realserver.llama_server import RealServer, running_server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """One ``llama-server`` for the whole session."""
    with running_server(tmp_path_factory.mktemp("llama-server")) as server:
        yield server


@pytest.fixture
def server(llama_server: RealServer) -> RealServer:
    return llama_server
