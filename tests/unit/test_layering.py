"""The house rules, read from the source: who may import what."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_only_the_core_imports_httpx() -> None:
    for package in ("langchain_nebius", "llama_index_nebius"):
        offenders = [
            p
            for p, names in _imports(package).items()
            if names & {"httpx", "httpcore", "aiohttp", "httpx_aiohttp", "multidict"}
        ]
        assert offenders == [], f"{package} must reach HTTP through nebius_inference: {offenders}"


def test_the_core_imports_no_framework() -> None:
    offenders = [
        p
        for p, names in _imports("nebius_inference").items()
        if names & {"langchain_core", "langchain", "llama_index"}
    ]
    assert offenders == []


def test_adapters_do_not_import_each_other() -> None:
    lc = [
        p
        for p, n in _imports("langchain_nebius").items()
        if "llama_index_nebius" in n or "llama_index" in n
    ]
    li = [
        p
        for p, n in _imports("llama_index_nebius").items()
        if "langchain_nebius" in n or "langchain_core" in n
    ]
    assert lc == [] and li == []


def test_server_dependencies_only_in_testing() -> None:
    server_deps = {"starlette", "uvicorn", "PIL"}
    offenders = [
        p
        for p, names in _imports("nebius_inference").items()
        if names & server_deps and not p.startswith("nebius_inference/testing/")
    ]
    assert offenders == []


def test_nothing_is_installed_under_llama_index() -> None:
    assert not (ROOT / "llama_index").exists()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"llama_index"' not in text and "llama_index/" not in text


def test_importing_the_core_defers_its_transports() -> None:
    """``import nebius_inference`` stays cheap: each pool's libraries load on first use."""
    code = (
        "import sys, nebius_inference, nebius_inference.types; "
        "print(sorted({'aiohttp', 'httpcore', 'multidict', 'asyncio'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"


def test_adapters_use_only_the_core_public_names() -> None:
    offenders = []
    for package in ("langchain_nebius", "llama_index_nebius"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules: list[str] = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                    if node.module == "nebius_inference":
                        modules += [f"nebius_inference.{a.name}" for a in node.names]
                private = [
                    m
                    for m in modules
                    if m.startswith("nebius_inference.")
                    and any(p.startswith("_") and not p.startswith("__") for p in m.split(".")[1:])
                ]
                offenders += [f"{path.relative_to(ROOT)}: {m}" for m in private]
    assert offenders == [], f"adapters must import only public core names: {offenders}"


def test_adapters_use_no_private_framework_api_unguarded() -> None:
    """langchain-core's and LlamaIndex's private methods are replaced by public ones; the one
    left (``DocumentBlock._guess_mimetype``) is read through ``getattr`` with a fallback."""
    forbidden = ("._serialized", "._convert_input(", "super()._get_invocation_params(")
    offenders = []
    for package in ("langchain_nebius", "llama_index_nebius"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.name}: {f}" for f in forbidden if f in text]
            if "._guess_mimetype(" in text:
                offenders.append(f"{path.name}: ._guess_mimetype( called directly")
    assert offenders == []
