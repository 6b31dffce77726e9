"""The cookbook's batch script keeps its state where running it again finds it.

Against the real API (here: the emulator, presented as the real API, so its batches outlive the
first run), the second run resumes the saved job instead of creating a new batch. Offline, the
state goes to a folder of that run only: the emulator's batches end with its process.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from nebius_inference.testing import Connection, Emulator

SCRIPT = Path(__file__).resolve().parents[2] / "cookbook" / "langchain_batch.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cookbook_langchain_batch", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_rerun_resumes_the_saved_job_instead_of_paying_again(
    emu: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = _script()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEBIUS_API_KEY", emu.api_key)
    monkeypatch.setenv("NEBIUS_BASE_URL", emu.base_url)
    live = Connection(base_url=emu.base_url, emulated=False)

    script.main(live)
    first = capsys.readouterr().out
    assert "resuming" not in first
    assert "replies: 300 ok, 0 failed, in input order" in first
    assert (tmp_path / "descriptions-job.json").exists()
    created = len(emu.requests("/v1/batches", "post"))
    assert created >= 1

    script.main(live)
    second = capsys.readouterr().out
    assert f"resuming the job saved in {tmp_path / 'descriptions-job.json'}" in second
    assert "replies: 300 ok, 0 failed, in input order" in second
    assert len(emu.requests("/v1/batches", "post")) == created  # no second batch


def test_offline_the_state_stays_out_of_the_working_folder(tmp_path: Path) -> None:
    script = _script()
    offline = Connection(base_url="http://127.0.0.1:1/v1", emulated=True)
    path = script.job_state_path(offline)
    assert path.name == "descriptions-job.json" and tmp_path not in path.parents
    assert path.parent != Path.cwd() and path.parent.is_dir()
    path.parent.rmdir()
