"""Run one row of one scenario in this interpreter and print its result as JSON.

Usage (run.py does this, in the row's venv)::

    python benchmarks/worker.py SCENARIO ROW[,ROW...] CONFIG_JSON
    python benchmarks/worker.py --versions

The last line of stdout maps each row to ``{"status": "ok", "wall": [...], ...}`` or
``{"status": "n/a", "reason": "..."}``; a crash is reported as ``n/a (crashed: ...)``. Full runs
give each row a fresh process; ``--quick`` runs the rows of one venv in one process.
"""

from __future__ import annotations

import json
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenarios
from harness import Config, NotAvailable

DISTRIBUTIONS = (
    "httpx",
    "aiohttp",
    "pydantic",
    "openai",
    "langchain-core",
    "langchain-openai",
    "langchain-nebius",
    "llama-index-core",
    "llama-index-llms-nebius",
    "llama-index-embeddings-nebius",
    "nebius-inference",
    "uvloop",
)


def versions() -> dict[str, str]:
    found = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def run(scenario: str, key: str, config: str) -> dict[str, Any]:
    """One row's result; a row that cannot run says why instead of failing the others."""
    rows = {row.key: row for row in scenarios.get_rows(scenario)}
    row = rows[key]
    try:
        return {"status": "ok", **row.func(Config.from_json(config))}
    except NotAvailable as exc:
        return {"status": "n/a", "reason": str(exc)}
    except ImportError as exc:
        return {"status": "n/a", "reason": f"not importable: {exc.name or exc}"}
    except Exception as exc:
        traceback.print_exc()
        message = " ".join(str(exc).split())[:160]
        return {"status": "n/a", "reason": f"crashed: {type(exc).__name__}: {message}"}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--versions"]:
        result: dict[str, Any] = versions()
    else:
        scenario, keys, config = argv[:3]
        result = {key: run(scenario, key, config) for key in keys.split(",")}
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
