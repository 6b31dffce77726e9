"""The documentation site covers every public module and lists every page.

`.ci/run` builds it with `mkdocs build --strict`, so a broken reference fails CI; this test
catches a module or page that would silently be left out of the site.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PUBLIC_MODULES = (
    "nebius_inference",
    "nebius_inference.types",
    "nebius_inference.batch",
    "nebius_inference.testing",
    "langchain_nebius",
    "langchain_nebius.batch",
    "llama_index_nebius",
    "llama_index_nebius.batch",
)


def test_every_public_module_has_a_reference_page() -> None:
    rendered = {
        match
        for page in (DOCS / "reference").glob("*.md")
        for match in re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M)
    }
    assert set(PUBLIC_MODULES) <= rendered, sorted(set(PUBLIC_MODULES) - rendered)


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w/-]+\.md)\s*$", config, re.M))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages == listed


def test_the_readme_links_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/index.md)" in readme
