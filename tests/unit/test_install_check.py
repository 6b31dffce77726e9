"""Beside the official ``langchain-nebius`` (same module name), importing us fails with the fix.

The real install orders (our wheel and the official one, in both orders) run in
``tests/packaging/test_install.py``; these tests build the metadata folders pip leaves behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nebius_inference._install import conflict_message, find_official_metadata

ROOT = Path(__file__).resolve().parents[2]


def _dist(site: Path, folder: str, files: list[str], **extra: str) -> Path:
    meta = site / folder
    meta.mkdir(parents=True)
    name, version = folder.removesuffix(".dist-info").rsplit("-", 1)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for name in files:  # Python 3.12+ lists only the recorded files that exist
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).touch()
    record = [f"{f},sha256=x,1" for f in files] + [f"{folder}/RECORD,,"]
    (meta / "RECORD").write_text("\n".join(record) + "\n")
    for filename, text in extra.items():
        (meta / filename).write_text(text)
    return meta


def test_nothing_to_report_without_the_official_package(tmp_path: Path) -> None:
    _dist(tmp_path, "nebius_inference-0.1.0.dist-info", ["langchain_nebius/__init__.py"])
    assert find_official_metadata([str(tmp_path)]) is None
    assert conflict_message([str(tmp_path)]) is None


def test_the_message_names_the_shared_files_and_the_exact_commands(tmp_path: Path) -> None:
    official = ["langchain_nebius/__init__.py", "langchain_nebius/chat_models.py"]
    ours = [*official, "langchain_nebius/rerank.py", "nebius_inference/__init__.py"]
    direct = {"url": "file:///src/nebius-inference", "dir_info": {"editable": True}}
    _dist(tmp_path, "langchain_nebius-0.1.3.dist-info", official)
    _dist(
        tmp_path,
        "nebius_inference-0.1.0.dist-info",
        ours,
        **{"direct_url.json": json.dumps(direct)},
    )
    message = conflict_message([str(tmp_path), "/no/such/folder"])
    assert message is not None
    assert "official langchain-nebius 0.1.3" in message
    assert "(langchain_nebius/__init__.py, langchain_nebius/chat_models.py)" in message
    python = sys.executable
    assert (
        f"{python} -m pip uninstall -y langchain-nebius nebius-inference && "
        f"{python} -m pip install -e '/src/nebius-inference[langchain]'"
    ) in message
    assert f"{python} -m pip install langchain-nebius" in message


def test_a_wheel_install_is_reinstalled_from_the_same_file(tmp_path: Path) -> None:
    _dist(tmp_path, "langchain_nebius-0.1.3.dist-info", ["langchain_nebius/__init__.py"])
    direct = {"url": "file:///dist/nebius_inference-0.1.0-py3-none-any.whl", "archive_info": {}}
    _dist(
        tmp_path,
        "nebius_inference-0.1.0.dist-info",
        ["langchain_nebius/__init__.py"],
        **{"direct_url.json": json.dumps(direct)},
    )
    message = conflict_message([str(tmp_path)])
    assert message is not None
    assert (
        "-m pip install 'nebius-inference[langchain] @ "
        "file:///dist/nebius_inference-0.1.0-py3-none-any.whl'"
    ) in message


def test_from_an_index_the_reinstall_asks_the_index(tmp_path: Path) -> None:
    _dist(tmp_path, "langchain_nebius-0.1.3.dist-info", ["langchain_nebius/__init__.py"])
    _dist(tmp_path, "nebius_inference-0.1.0.dist-info", ["langchain_nebius/__init__.py"])
    message = conflict_message([str(tmp_path)])
    assert message is not None
    assert message.endswith("-m pip install langchain-nebius")
    assert "-m pip install 'nebius-inference[langchain]'" in message


def test_importing_the_core_fails_with_the_message(tmp_path: Path) -> None:
    _dist(tmp_path, "langchain_nebius-0.1.3.dist-info", ["langchain_nebius/__init__.py"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    done = subprocess.run(
        [sys.executable, "-c", "import nebius_inference"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "ImportError: The official langchain-nebius 0.1.3" in done.stderr
    assert "pip uninstall -y langchain-nebius nebius-inference" in done.stderr
