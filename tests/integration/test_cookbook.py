"""Smoke test of the cookbook: every script runs offline and prints what it demonstrates.

Each script in ``cookbook/`` runs as its own subprocess, as a user would run it, with
``NEBIUS_API_KEY`` unset: it starts its own emulator (port 0) and must exit 0 and print the
lines listed in ``EXPECTED``. The scripts run in parallel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parents[2] / "cookbook"
TIMEOUT = 120  # seconds for one script (they take about 1-4 s each)
OFFLINE_LINE = "NEBIUS_API_KEY is not set: running offline against the local emulator"

# Script -> regular expressions its stdout must match (re.MULTILINE: ^ and $ are lines).
# They check the mechanics each script shows: which tool ran with which arguments, which
# document came first, what was parsed; the emulator's replies are deterministic.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        r"^usage: \d+ in, \d+ out$",
        r"^embeddings: 4 vectors of 4096 dimensions$",
        r"^retrieval: 'What causes the ocean tides\?' -> \"The Moon's gravity",
    ],
    "cost_of_a_rag_query.py": [
        r"^indexed 5 paragraphs from data/ for \$0\.\d+$",
        r"^sources: warranty\.md, descaling\.md",
        r"^google/gemma-3-27b-it +1 +\d+ +\d+ +0 +0\.\d+$",
        r"^Qwen/Qwen3-Embedding-8B +1 +\d+ +0 +0 +0\.\d+$",
        r"^Qwen/Qwen3-235B-A22B-Instruct-2507 +1 +\d+ +\d+ +0 +0\.\d+$",
        r"^total +3 +\d+ +\d+ +0 +0\.\d+$",
        r"^query cost: \$0\.\d+ \(exact\)$",
        r"^1,000 such queries: \$0\.\d+$",
    ],
    "langchain_batch.py": [
        r"^prompts: 300$",
        r"^replies: 300 ok, 0 failed, in input order$",
        r"^  'Write a playful one-line description of our espresso machine, variant 1\.' -> "
        r"'.*playful.*'$",
        r"^total tokens: [1-9]\d*$",
        r"^job state saved in descriptions-job.json$",
    ],
    "langchain_corpus_vector_store.py": [
        r"^texts: 1200$",
        r"^submitted: 1200 requests$",
        r"^added 500 vectors, 500 in the store\nadded 500 vectors, 1000 in the store\n"
        r"added 200 vectors, 1200 in the store$",
        r"^page-7 holds text 7: True$",
        r"^nearest to text 7 embedded live: page-7$",
    ],
    "langchain_chat.py": [
        r"^invoke: \S.+$",
        r"^usage: \d+ in, \d+ out$",
        r"^finish reason: stop$",
        r"^stream: \S.+$",
        r"^stream usage: \d+ tokens in total$",
        r"^batch: 'Name a planet.' -> '.*planet.*'$",
        r"^ainvoke: hello from asyncio$",
        r"^astream: \S.+$",
        r"^gathered: 2 replies concurrently$",
    ],
    "langchain_structured_output.py": [
        r"^parsed: Movie\(title='Spirited Away', year=2001, ",
        r"^movie: Spirited Away \(2001\), genres=\[.+\], rating=PG$",
        r"^raw reply text: \{.*\"label\".*\}$",
        r"^include_raw parsed: Sentiment\(label='\w+', confidence=[\d.]+\) \| parsing_error: None$",
        r"^batch: 'Never again.' -> Sentiment\(",
    ],
    "langchain_agent.py": [
        r"^tool call: get_weather\(\{'city': 'Paris'\}\)\ntool result \(get_weather\): "
        r"light rain, 14 °C\nfinal answer: .*light rain",
        r"^tool call: multiply\(\{'a': 6, 'b': 7\}\)\ntool result \(multiply\): 42\n",
        r"^tool call: get_weather\(\{'city': 'Tokyo'\}\)\n"
        r"tool call: multiply\(\{'a': 3, 'b': 4\}\)",
        r"^tool result \(multiply\): 12\nfinal answer: .*sunny.*12",
    ],
    "langchain_rag.py": [
        r"^indexed 5 chunks from data/$",
        r"^question: How long do I have to return an item for a refund\?\n"
        r"retrieved: \['returns-policy.md'.*\]\nreranked: returns-policy.md \(score [\d.]+\)",
        r"^question: Does the warranty cover damage from limescale\?\n"
        r"retrieved: \['warranty.md'.*\]\nreranked: warranty.md \(score [\d.]+\)\n"
        r"reranked: descaling.md",
        r"^sources: warranty.md, descaling.md$",
    ],
    "langchain_swap_from_openai.py": [
        r"^invoke: \S.+$",
        r"^stream: \S.+$",
        r"^tool call: GetWeather\(\{'location': 'San Francisco'\}\)$",
        r"^structured: Joke\(setup='.+', punchline='.+'\)$",
    ],
    "langchain_vision.py": [
        r"^image: boat.png, \d+ bytes, PNG 160x120$",
        r"^standard block: I received 1 image: PNG 160x120\.",
        r"^image_url block: I received 1 image: PNG 160x120\.",
        r"^usage: \d+ input tokens",
    ],
    "langchain_image_generation.py": [
        r"^tool text: Generated a 512x1024 PNG image \(\d+ bytes\) .* Saved to .+\.png\.$",
        r"^artifact: image/webp 768x512, \d+ bytes$",
        r"^saved to: .+\.webp$",
        r"^file: .+\.png: PNG 512x1024$",
        r"^file: .+\.webp: WEBP 768x512$",
    ],
    "llamaindex_chat.py": [
        r"^metadata: context_window=262144$",
        r"^metadata: function_calling=True$",
        r"^complete: \S.+$",
        r"^usage: \d+ in, \d+ out$",
        r"^chat: \S.+$",
        r"^stream_complete: \S.+$",
        r"^stream_chat: \S.+$",
        r"^acomplete: hello from asyncio$",
        r"^astream_chat: \S.+$",
    ],
    "llamaindex_batch.py": [
        r"^chats: 200$",
        r"^responses: 200 ok, 0 failed, in input order$",
        r"^  'Customer 1: my order was charged twice\.' -> '\S.*'$",
        r"^embeddings: 200 vectors of 4096 dimensions$",
    ],
    "llamaindex_corpus_vector_store.py": [
        r"^nodes: 1200$",
        r"^submitted: 1200 requests$",
        r"^added 500 nodes, 500 in the store\nadded 500 nodes, 1000 in the store\n"
        r"added 200 nodes, 1200 in the store$",
        r"^nearest to node 7's text embedded live: page-7$",
    ],
    "llamaindex_structured.py": [
        r"^parsed: Invoice\(vendor='Acme Tools', invoice_number='INV-2041', total=249.9, "
        r"paid=False\)$",
        r"^invoice: INV-2041 from Acme Tools, total 249.90$",
        r"^async parsed: Album\(name='Blade Runner', ",
        r"^album: Album with \d+ tracks$",
    ],
    "llamaindex_agent.py": [
        r"^tool call: check_stock\(\{'product': 'grinder'\}\)\n"
        r"tool result \(check_stock\): 0 in stock\nfinal answer: .*0 in stock",
        r"^tool call: add\(\{'a': 2.5, 'b': 4\}\)\ntool result \(add\): 6.5\n"
        r"final answer: .*6.5",
    ],
    "llamaindex_parallel_ingestion.py": [
        r"^embedded \d+ nodes in 2 worker processes$",
        r"^same embeddings as in this process: True$",
        r"^best match: Note \d+: a short text about glaciers, number \d+\.$",
    ],
    "llamaindex_rag.py": [
        r"^indexed 5 nodes from data/$",
        r"^question: How much does express shipping cost\?\nanswer: \S.+\n"
        r"source: shipping.md \(score [\d.]+\) id=\S+\n",
        r"^question: How often should I descale the espresso machine\?\nanswer: \S.+\n"
        r"source: descaling.md \(score [\d.]+\) id=\S+\n",
    ],
    "llamaindex_vision.py": [
        r"^image: chart.png, \d+ bytes, PNG 200x120$",
        r"^from path: I received 1 image: PNG 200x120\.",
        r"^from bytes: I received 1 image: JPEG 200x120\.",
        r"^usage: \d+ input tokens",
    ],
}

# Scripts allowed to write to stderr (a progress bar); the others must keep it empty, so a
# warning or a traceback shows up here.
STDERR_ALLOWED = frozenset({"langchain_batch.py", "llamaindex_batch.py"})


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def _offline_env(tmp: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("NEBIUS_API_KEY", "NEBIUS_BASE_URL", "NEBIUS_API_BASE")
    }
    # Temporary files (generated images...) go to the test's own folder.
    env.update(TMPDIR=str(tmp), PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    return env


def _run(script: Path, tmp: Path, env: dict[str, str]) -> Run:
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        return Run(-1, _text(exc.stdout), f"{_text(exc.stderr)}\n[timed out after {TIMEOUT} s]")
    return Run(done.returncode, done.stdout, done.stderr)


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every cookbook script's output; they run in parallel (each is mostly CPU-bound:
    imports and its own emulator)."""
    tmp = tmp_path_factory.mktemp("cookbook")
    env = _offline_env(tmp)
    scripts = sorted(COOKBOOK.glob("*.py"))
    # One more worker than CPUs: the batch script spends most of its time waiting to poll.
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        outputs = pool.map(lambda script: _run(script, tmp, env), scripts)
        return {script.name: run for script, run in zip(scripts, outputs)}


def test_every_script_is_in_the_table() -> None:
    scripts = {path.name for path in COOKBOOK.glob("*.py")}
    assert scripts == set(EXPECTED), "add new cookbook scripts to EXPECTED (and drop old ones)"


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_script_runs_offline(script: str, runs: dict[str, Run]) -> None:
    run = runs[script]
    report = f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}"
    assert run.returncode == 0, report
    assert run.stdout.startswith(OFFLINE_LINE), report
    for pattern in EXPECTED[script]:
        assert re.search(pattern, run.stdout, re.MULTILINE), f"missing {pattern!r}\n{report}"
    if script in STDERR_ALLOWED:
        assert "Traceback" not in run.stderr, report
        assert "Warning" not in run.stderr, report
    else:
        assert run.stderr == "", report
