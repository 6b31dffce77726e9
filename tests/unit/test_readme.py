"""Every test the README points at exists, so the feature tables cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCES = sorted(set(re.findall(r"`(tests/[\w/.-]+(?:::\w+)?)`", README)))


def test_the_readme_points_at_tests() -> None:
    assert len(REFERENCES) > 30


@pytest.mark.parametrize("reference", REFERENCES)
def test_reference_exists(reference: str) -> None:
    path, _, name = reference.partition("::")
    target = ROOT / path
    assert target.exists(), f"README.md points at {path}, which does not exist"
    if name:
        source = target.read_text(encoding="utf-8")
        assert re.search(rf"^\s*(?:async )?def {name}\(", source, re.M), (
            f"README.md points at {reference}, but {path} has no test {name}"
        )
