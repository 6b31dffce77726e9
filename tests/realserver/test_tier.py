"""The tier's own rules: a server that cannot be built is a skip that says why, or a failure
when ``NEBIUS_REALSERVER_REQUIRED`` is set (as CI sets it)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from realserver import llama_server


@pytest.fixture
def failing_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "build.sh"
    script.write_text('echo "cmake not found: building llama-server needs cmake" >&2\nexit 1\n')
    monkeypatch.setattr(llama_server, "SCRIPT", script)


@pytest.mark.usefixtures("failing_script")
def test_a_server_that_cannot_be_built_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(llama_server.REQUIRED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"exited 1\): cmake not found"):
        llama_server._build()


@pytest.mark.usefixtures("failing_script")
def test_when_required_it_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(llama_server.REQUIRED_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="cmake not found"):
        llama_server._build()


def test_the_watchdog_fails_a_hang_with_every_threads_stack() -> None:
    release = threading.Event()

    def stuck_here() -> None:
        release.wait()

    try:
        with pytest.raises(pytest.fail.Exception, match=r"(?s)hung: .*thread watched.*stuck_here"):
            llama_server.watched(stuck_here, 0.5)
    finally:
        release.set()
    assert llama_server.watched(lambda: 42, 60) == 42
