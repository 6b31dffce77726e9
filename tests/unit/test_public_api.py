"""Each package's ``__all__`` is exactly what the README documents, and every name exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
PACKAGES = [
    "nebius_inference",
    "nebius_inference.types",
    "nebius_inference.batch",
    "nebius_inference.cost",
    "nebius_inference.testing",
    "langchain_nebius",
    "llama_index_nebius",
]


def documented(package: str) -> list[str]:
    match = re.search(rf"<!-- api:{re.escape(package)} -->(.*?)<!-- /api -->", README, re.S)
    assert match, f"README.md has no <!-- api:{package} --> section"
    names = re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", match.group(1))
    return sorted(set(names))


@pytest.mark.parametrize("package", PACKAGES)
def test_all_matches_the_readme(package: str) -> None:
    module = importlib.import_module(package)
    exported = sorted(module.__all__)
    assert len(exported) == len(set(exported)), "duplicate names in __all__"
    assert exported == documented(package)
    for name in exported:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"
