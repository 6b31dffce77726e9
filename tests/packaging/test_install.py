"""The built distribution, installed as users install it, in scratch virtual environments.

- The wheel and the sdist carry the MIT ``LICENSE``; the metadata names it and the project URLs.
- Beside the official ``langchain-nebius`` (which installs a module of the same name), in both
  install orders, importing us fails with one message, and the command it prints repairs the
  environment.
- The ``pytest11`` entry point serves ``nebius_emulator`` with no ``conftest.py`` line, and
  together with the explicit ``pytest_plugins`` line registers one plugin.

The scratch environments get the packages under test from the built wheel and the downloaded
official wheels, and reach the dependencies (httpx, pydantic, langchain-core, pytest...) of the
environment running these tests through a ``.pth`` line, so nothing big is downloaded.
Skipped, saying why, only when the package registry cannot be reached.
"""

from __future__ import annotations

import email
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = "langchain-nebius==0.1.3"
NETWORK_SIGNS = (
    "NewConnectionError",
    "ConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "timed out",
    "No matching distribution found",
    "Could not find a version",
)


def _run(
    args: list[str], cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    # Never from the checkout's folder: `python -c` would import the source instead of the wheel.
    cwd = cwd or Path(args[0]).parent
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{shlex.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def _pip(python: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run([str(python), "-m", "pip", "--quiet", *args], check=check)


def _registry_or_skip(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode == 0:
        return
    text = done.stdout + done.stderr
    if any(sign in text for sign in NETWORK_SIGNS):
        last = text.strip().splitlines()[-1] if text.strip() else ""
        pytest.skip(f"the package registry is unreachable, so {what} cannot be fetched: {last}")
    raise AssertionError(f"fetching {what} failed:\n{text}")


def _venv(path: Path) -> Path:
    _run([sys.executable, "-m", "venv", str(path)])
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    # Our dependencies come from the environment running the tests, after the scratch packages.
    (Path(purelib) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Our wheel and sdist, built by hatchling from this checkout."""
    work = tmp_path_factory.mktemp("build")
    builder = _venv(work / "venv")
    _registry_or_skip(_pip(builder, "install", "hatchling>=1.27", check=False), "hatchling")
    out = work / "dist"
    code = (
        "import sys; from hatchling.build import build_sdist, build_wheel; "
        "print(build_wheel(sys.argv[1])); print(build_sdist(sys.argv[1]))"
    )
    _run([str(builder), "-c", code, str(out)], cwd=ROOT)
    wheel, sdist = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheel) == 1 and len(sdist) == 1, list(out.iterdir())
    return {"wheel": wheel[0], "sdist": sdist[0]}


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official package and the one dependency of it our environment lacks."""
    folder = tmp_path_factory.mktemp("official")
    done = _pip(
        Path(sys.executable),
        "download",
        "--no-deps",
        "--dest",
        str(folder),
        OFFICIAL,
        "langchain-openai",
        check=False,
    )
    _registry_or_skip(done, f"the official {OFFICIAL}")
    return folder


def _import(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return _run([str(python), "-c", code], check=False)


def _printed_command(message: str, keep: str) -> str:
    """The command line under ``# {keep}`` in the conflict message."""
    lines = message.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"# {keep}"))
    return lines[at + 1].strip()


def _wheel_named(folder: Path, name: str) -> Path:
    found = sorted(folder.glob(f"{name}-*.whl"))
    assert found, list(folder.iterdir())
    return found[0]


# --- license and metadata ---------------------------------------------------------------


def test_wheel_and_sdist_carry_the_license_and_the_urls(built: dict[str, Path]) -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in license_text
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        licenses = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert licenses, names
        assert wheel.read(licenses[0]).decode() == license_text
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(wheel.read(meta_name))
        entry_points = wheel.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls), urls
    assert all(
        u.startswith("https://github.com/nebius-inference/nebius-inference") for u in urls.values()
    )
    assert "[pytest11]" in entry_points
    assert (
        "nebius_inference.testing.pytest_plugin = nebius_inference._pytest_plugin" in entry_points
    )
    with tarfile.open(built["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        member = sdist.extractfile(f"{top}/LICENSE")
        assert member is not None and member.read().decode() == license_text
        assert f"{top}/CHANGELOG.md" in sdist.getnames()


# --- beside the official langchain-nebius -------------------------------------------------


def test_official_after_ours_is_caught_and_the_printed_command_repairs_it(
    built: dict[str, Path], official: Path, tmp_path: Path
) -> None:
    python = _venv(tmp_path / "venv")
    _pip(python, "install", "--no-deps", str(built["wheel"]))
    assert _import(python, "from langchain_nebius import NebiusRerank").returncode == 0
    # pip installs the official package over ours without a word, and `pip check` is content.
    _pip(python, "install", "--no-deps", str(_wheel_named(official, "langchain_openai")))
    _pip(python, "install", "--no-deps", str(_wheel_named(official, "langchain_nebius")))

    # Where our code runs, it refuses with the message: the core, and our surviving modules.
    for code in ("import nebius_inference", "from langchain_nebius.rerank import NebiusRerank"):
        done = _import(python, code)
        assert done.returncode == 1, (code, done.stdout, done.stderr)
        assert "ImportError: The official langchain-nebius 0.1.3" in done.stderr, done.stderr
        assert "langchain_nebius/__init__.py" in done.stderr
    # `import langchain_nebius` alone now runs only the official package's code: nothing of
    # ours can speak there (the README says so), and our names are missing.
    plain = _import(python, "from langchain_nebius import NebiusRerank")
    assert "cannot import name 'NebiusRerank'" in plain.stderr, plain.stderr

    message = _import(python, "import nebius_inference").stderr
    command = _printed_command(message, "nebius-inference")
    assert built["wheel"].name in command  # reinstalled from the file it came from
    _run(["sh", "-c", command], cwd=tmp_path)
    fixed = _import(python, "from langchain_nebius import ChatNebius, NebiusRerank; print('ok')")
    assert fixed.stdout.strip() == "ok", fixed.stderr


def test_ours_after_official_is_caught_and_the_printed_command_repairs_it(
    built: dict[str, Path], official: Path, tmp_path: Path
) -> None:
    python = _venv(tmp_path / "venv")
    _pip(python, "install", "--no-deps", str(_wheel_named(official, "langchain_openai")))
    _pip(python, "install", "--no-deps", str(_wheel_named(official, "langchain_nebius")))
    assert _import(python, "import langchain_nebius").returncode == 0
    _pip(python, "install", "--no-deps", str(built["wheel"]))  # overwrites five files

    done = _import(python, "from langchain_nebius import ChatNebius")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "ImportError: The official langchain-nebius 0.1.3" in done.stderr
    for name in ("__init__", "chat_models", "embeddings", "retrievers", "tools"):
        assert f"langchain_nebius/{name}.py" in done.stderr

    # The other way out: keep the official package; nothing of ours is left behind.
    command = _printed_command(done.stderr, "or the official package")
    _run(
        ["sh", "-c", command.replace(" install ", f" install --find-links {official} ")],
        cwd=tmp_path,
    )
    check = (
        "import json, os, langchain_nebius; "
        "print(json.dumps(os.listdir(*langchain_nebius.__path__)))"
    )
    left = _import(python, check)
    assert left.returncode == 0, left.stderr
    files = set(json.loads(left.stdout))
    assert "rerank.py" not in files and "chat_models.py" in files, files


# --- the pytest11 entry point -----------------------------------------------------------

TEST_FILE = """
from nebius_inference import NebiusClient

def test_fixture(nebius_emulator):
    client = NebiusClient(api_key=nebius_emulator.api_key, base_url=nebius_emulator.base_url)
    assert client.list_models().data
    client.close()
"""


@pytest.fixture(scope="module")
def installed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = _venv(tmp_path_factory.mktemp("plugin") / "venv")
    _pip(python, "install", "--no-deps", str(built["wheel"]))
    return python


@pytest.mark.parametrize(
    "conftest", [None, 'pytest_plugins = ["nebius_inference.testing.pytest_plugin"]\n']
)
def test_the_fixture_works_with_or_without_a_conftest_line(
    installed: Path, tmp_path: Path, conftest: str | None
) -> None:
    (tmp_path / "test_uses_fixture.py").write_text(TEST_FILE)
    if conftest is not None:
        (tmp_path / "conftest.py").write_text(conftest)
    done = _run(
        [
            str(installed),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
        ],
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
