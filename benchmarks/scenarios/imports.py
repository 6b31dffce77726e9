"""Scenario 1: import time of each package, in a fresh interpreter per sample.

Each sample runs ``python -c`` and times only the import statement (interpreter start-up is
not counted). One untimed run first writes the bytecode caches. The working directory holds no
package, so nothing from this checkout shadows an installed module.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, Config, NotAvailable, Row, clean_env

_CODE = "import time\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)\n"

# What a framework package costs on its own: the modules of the framework that the package
# loads, imported without the package. ``import langchain_core`` alone is lazy and loads
# almost nothing, so the import target compares against this instead.
_FRAMEWORK_MODULES = (
    "import sys, {target}\n"
    "print(' '.join(sorted(m for m in sys.modules if m.startswith('{prefix}'))))\n"
)


def _run(code: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise NotAvailable(f"not importable: {last[:120]}")
    return done.stdout


def _framework_of(target: str, prefix: str) -> Callable[[Config], dict[str, Any]]:
    """Time importing the ``prefix`` modules that importing ``target`` loads."""

    def run(cfg: Config) -> dict[str, Any]:
        listing = _run(_FRAMEWORK_MODULES.format(target=target, prefix=prefix), _workdir())
        return _timer("import " + ", ".join(listing.split()))(cfg)

    return run


def _workdir() -> Path:
    cwd = BENCH_DIR / "results"
    cwd.mkdir(exist_ok=True)
    return cwd


def _timer(stmt: str, check: str | None = None) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        code = _CODE.format(stmt=stmt)
        if check:
            code += f"if not ({check}): raise SystemExit('wrong module')\n"
        cwd = _workdir()
        samples: list[float] = []
        for i in range(cfg.reps + 1):
            out = _run(code, cwd)
            if i:  # the first run only writes bytecode caches
                samples.append(float(out.split()[-1]))
        return {"wall": samples, "cpu": [], "requests": []}

    return run


_OURS = "'site-packages' not in {mod}.__file__"
_THEIRS = "'site-packages' in {mod}.__file__"

ROWS = [
    Row("floor", "httpx", "floor", _timer("import httpx")),
    Row(
        "core",
        "ours: nebius_inference",
        "ours",
        _timer("import nebius_inference", _OURS.format(mod="nebius_inference")),
    ),
    Row("openai", "openai", "competitor", _timer("import openai"), "official"),
    Row("lc_core", "langchain_core (bare package)", "info", _timer("import langchain_core")),
    Row(
        "lc_core_base",
        "langchain_core modules that langchain_nebius loads",
        "info",
        _framework_of("langchain_nebius", "langchain_core"),
    ),
    Row(
        "lc_ours",
        "ours: langchain_nebius",
        "ours",
        _timer("import langchain_nebius", _OURS.format(mod="langchain_nebius")),
    ),
    Row(
        "lc_openai", "langchain_openai", "competitor", _timer("import langchain_openai"), "official"
    ),
    Row(
        "lc_official",
        "official langchain_nebius",
        "competitor",
        _timer("import langchain_nebius", _THEIRS.format(mod="langchain_nebius")),
        "official",
    ),
    Row(
        "li_core_base",
        "llama_index.core modules that llama_index_nebius loads",
        "info",
        _framework_of("llama_index_nebius", "llama_index.core"),
    ),
    Row(
        "li_ours",
        "ours: llama_index_nebius",
        "ours",
        _timer("import llama_index_nebius", _OURS.format(mod="llama_index_nebius")),
    ),
    Row(
        "li_official",
        "llama_index.llms.nebius + embeddings.nebius",
        "competitor",
        _timer("import llama_index.llms.nebius, llama_index.embeddings.nebius"),
    ),
]
