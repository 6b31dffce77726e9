"""Scenario 8: throughput at the rate limit, against the emulator enforcing a limit.

    python benchmarks/ratelimit.py                    # the issue's sizes, about 30 minutes
    python benchmarks/ratelimit.py --quick            # small sizes, about 8 minutes
    python benchmarks/ratelimit.py --official-python .venv-official/bin/python

``run.py`` runs it too (``--only ratelimit``, or a run of every scenario). The emulator runs
in this process (a thread) with per-model windows of ``WINDOW`` seconds; every row runs in
fresh worker processes (this file with ``--worker``), one or two at a time sharing the key.
Jobs: ``embed_documents`` (or ``get_text_embedding_batch``) of many texts, and ``abatch``
of many chats at ``max_concurrency=64`` (LlamaIndex: ``achat`` under ``asyncio.gather`` with
a semaphore of 64). Rows: our LangChain classes with pacing (the default) and with
``pacing=False``, ``ChatOpenAI`` / ``OpenAIEmbeddings`` (langchain-openai) and the official
``langchain-nebius`` (both from the official venv), and the official
``llama-index-llms-nebius`` / ``llama-index-embeddings-nebius`` (from the main venv).

Per row, from the emulator's own counts:
- achieved requests and tokens a window, as a fraction of the limit: what was served in the
  full windows (all but the last, which the job leaves part-empty), over the time from the
  first window's start to the last one's;
- 429s as a fraction of the requests received;
- retries: requests received again with a body already received;
- inputs lost (no vector or no reply came back) and errors surfaced to the caller;
- with two processes, when each finished (each does half the job, so an even share of the
  limit finishes them together).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBEDDING_MODEL = "Qwen/Qwen3-Embedding-8B"
DIMENSIONS = 64  # short vectors: the limit is the subject here, not decoding
# A text of 52 emulator tokens (words and punctuation marks).
TEXT = (
    "Passage {i}: the tide rises twice a day along this coast, and the harbour master logs "
    "each high water, each low water, the wind, the swell and the ships that wait outside "
    "the breakwater until the channel is deep enough for them to come in safely."
)


@dataclass(frozen=True)
class Sizes:
    window: float
    requests: int  # a window
    tokens: int  # a window
    texts: int
    chats: int


FULL = Sizes(window=10.0, requests=600, tokens=300_000, texts=50_000, chats=3_000)
QUICK = Sizes(window=2.0, requests=120, tokens=60_000, texts=3_000, chats=500)


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    job: str  # "embed" or "chat"
    env: str  # "main" or "official"
    max_inputs: int | None = None  # a client that is slow at the limit does fewer inputs
    late: float = 0.0  # the second process starts this many seconds after the first


ROWS = [
    RateRow("ours_embed", "ours: NebiusEmbeddings.embed_documents (pacing on)", "embed", "main"),
    RateRow(
        "ours_embed_late",
        "ours: the same, the second process 3 s later",
        "embed",
        "main",
        late=3.0,
    ),
    RateRow("ours_embed_off", "ours: the same, pacing=False", "embed", "main"),
    RateRow(
        "openai_embed", "langchain-openai OpenAIEmbeddings.embed_documents", "embed", "official"
    ),
    # These two send one request at a time (1 and 10 texts), about 10 a second here, far
    # below the limit: all 50,000 texts would take 80 and 8 minutes.
    RateRow(
        "lc_official_embed",
        "official langchain-nebius NebiusEmbeddings.embed_documents",
        "embed",
        "official",
        max_inputs=1_000,
    ),
    RateRow(
        "li_ours_embed",
        "ours: llama_index_nebius NebiusEmbedding.get_text_embedding_batch",
        "embed",
        "main",
    ),
    RateRow(
        "li_official_embed",
        "llama-index-embeddings-nebius NebiusEmbedding.get_text_embedding_batch",
        "embed",
        "main",
        max_inputs=10_000,
    ),
    RateRow("ours_chat", "ours: ChatNebius.abatch (pacing on)", "chat", "main"),
    RateRow(
        "ours_chat_late", "ours: the same, the second process 3 s later", "chat", "main", late=3.0
    ),
    RateRow("ours_chat_off", "ours: the same, pacing=False", "chat", "main"),
    RateRow("openai_chat", "langchain-openai ChatOpenAI.abatch", "chat", "official"),
    RateRow("lc_official_chat", "official langchain-nebius ChatNebius.abatch", "chat", "official"),
    RateRow(
        "li_ours_chat", "ours: llama_index_nebius NebiusLLM.achat, gather of 64", "chat", "main"
    ),
    RateRow(
        "li_official_chat",
        "llama-index-llms-nebius NebiusLLM.achat, gather of 64",
        "chat",
        "main",
    ),
]
ROW_BY_KEY = {row.key: row for row in ROWS}


# -- the worker: one client process --------------------------------------------------------------


def _embedder(key: str, conn: dict[str, str]) -> Any:
    """The row's embeddings client; its documents method takes a list and returns vectors."""
    if key == "openai_embed":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(
            model=EMBEDDING_MODEL, dimensions=DIMENSIONS, check_embedding_ctx_length=False,
            **conn,
        ).embed_documents  # fmt: skip
    if key == "lc_official_embed":
        import langchain_nebius

        _official(langchain_nebius)
        return langchain_nebius.NebiusEmbeddings(model=EMBEDDING_MODEL, **conn).embed_documents
    if key == "li_official_embed":
        from llama_index.embeddings.nebius import NebiusEmbedding

        return NebiusEmbedding(
            model_name=EMBEDDING_MODEL, api_key=conn["api_key"], api_base=conn["base_url"]
        ).get_text_embedding_batch
    if key == "li_ours_embed":
        import llama_index_nebius

        return llama_index_nebius.NebiusEmbedding(
            model_name=EMBEDDING_MODEL, dimensions=DIMENSIONS, **conn
        ).get_text_embedding_batch
    from langchain_nebius import NebiusEmbeddings

    pacing = not key.endswith("_off")
    return NebiusEmbeddings(
        model=EMBEDDING_MODEL, dimensions=DIMENSIONS, pacing=pacing, **conn
    ).embed_documents


def _official(module: Any) -> None:
    """The official venv's ``langchain_nebius``, not this checkout's (the same module name)."""
    if "site-packages" not in str(getattr(module, "__file__", "")):
        raise RuntimeError(f"{module.__name__} is not the official distribution")


async def _chats(key: str, conn: dict[str, str], prompts: list[str]) -> list[Any]:
    """The row's replies to ``prompts``, 64 in flight; an exception in place of a failed one."""
    if key.startswith("li_"):
        import asyncio

        from llama_index.core.llms import ChatMessage

        if key == "li_ours_chat":
            import llama_index_nebius

            llm: Any = llama_index_nebius.NebiusLLM(model=CHAT_MODEL, max_tokens=16, **conn)
        else:
            from llama_index.llms.nebius import NebiusLLM

            llm = NebiusLLM(
                model=CHAT_MODEL, api_key=conn["api_key"], api_base=conn["base_url"], max_tokens=16
            )
        gate = asyncio.Semaphore(64)

        async def one(prompt: str) -> Any:
            async with gate:
                reply = await llm.achat([ChatMessage(role="user", content=prompt)])
                return reply.message

        return await asyncio.gather(*(one(p) for p in prompts), return_exceptions=True)
    if key == "openai_chat":
        from langchain_openai import ChatOpenAI

        chat: Any = ChatOpenAI(model=CHAT_MODEL, max_tokens=16, **conn)
    elif key == "lc_official_chat":
        import langchain_nebius

        _official(langchain_nebius)
        chat = langchain_nebius.ChatNebius(model=CHAT_MODEL, max_tokens=16, **conn)
    else:
        from langchain_nebius import ChatNebius

        chat = ChatNebius(model=CHAT_MODEL, max_tokens=16, pacing=not key.endswith("_off"), **conn)
    replies: list[Any] = await chat.abatch(
        prompts, config={"max_concurrency": 64}, return_exceptions=True
    )
    return replies


def worker(key: str, base_url: str, count: int, start: int) -> dict[str, Any]:
    """Run one row's job over inputs ``start .. start + count`` and report what came back."""
    conn = {"base_url": base_url, "api_key": "bench-not-a-real-key"}
    began = time.perf_counter()
    errors = 0
    if ROW_BY_KEY[key].job == "embed":
        texts = [TEXT.format(i=i) for i in range(start, start + count)]
        embed = _embedder(key, conn)
        try:
            vectors = embed(texts)
            ok = sum(1 for v in vectors if len(v) == DIMENSIONS)
        except Exception as exc:  # the caller sees the whole job fail
            errors, ok = 1, 0
            print(f"{key}: {type(exc).__name__}: {str(exc)[:120]}", file=sys.stderr)
    else:
        import asyncio

        prompts = [f"Say the number {i} in words." for i in range(start, start + count)]
        replies = asyncio.run(_chats(key, conn, prompts))
        errors = sum(1 for r in replies if isinstance(r, BaseException))
        ok = sum(1 for r in replies if not isinstance(r, BaseException) and r.content)
    return {
        "inputs": count,
        "ok": ok,
        "errors": errors,
        "seconds": time.perf_counter() - began,
        "finished": time.time(),
    }


# -- the driver ----------------------------------------------------------------------------------


def _clean_env(venv: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "NEBIUS_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("PYTHONPATH", None)
    if venv == "main":  # the official venv's langchain_nebius must not meet this checkout's
        env["PYTHONPATH"] = str(ROOT)
    return env


def run_row(row: RateRow, python: str, emu: Any, sizes: Sizes, processes: int) -> dict[str, Any]:
    """Run ``row`` in ``processes`` worker processes that split the job; measure it."""
    count = sizes.texts if row.job == "embed" else sizes.chats
    count = min(count, row.max_inputs or count)
    share = count // processes
    emu.reset()
    began = time.time()
    procs = []
    for p in range(processes):
        if p:
            time.sleep(row.late)
        command = [
            python, str(Path(__file__).resolve()), "--worker", row.key, emu.base_url,
            str(share), str(p * share),
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_clean_env(row.env),
            )
        )
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            proc.kill()
            return {"status": "n/a", "reason": "timed out after 900 s"}
        lines = out.strip().splitlines()
        if proc.returncode != 0 or not lines:
            last = (err.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            return {"status": "n/a", "reason": last[:160]}
        results.append(json.loads(lines[-1]))
    model = EMBEDDING_MODEL if row.job == "embed" else CHAT_MODEL
    windows = [w for w in emu.rate_limit_windows if w.model == model]
    bodies = Counter(
        r.body for r in emu.requests() if r.path.endswith(("/embeddings", "/chat/completions"))
    )
    return {
        "status": "ok",
        **measure(windows, sizes),
        "retries": sum(n - 1 for n in bodies.values()),
        "inputs": sum(r["inputs"] for r in results),
        "lost": sum(r["inputs"] - r["ok"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "seconds": max(r["finished"] for r in results) - began,
        "each": [r["finished"] - began for r in results],  # since the first process started
    }


def measure(windows: list[Any], sizes: Sizes) -> dict[str, Any]:
    """Achieved fractions of the limit over the full windows, and the share of 429s."""
    received = sum(w.requests + w.rejected for w in windows)
    rejected = sum(w.rejected for w in windows)
    out: dict[str, Any] = {
        "windows": len(windows),
        "received": received,
        "rejected": rejected,
        "rejected_frac": rejected / received if received else 0.0,
    }
    if len(windows) >= 2:
        full = windows[:-1]
        span = (windows[-1].start - windows[0].start) / sizes.window  # in windows
        out["requests_frac"] = sum(w.requests for w in full) / (span * sizes.requests)
        out["tokens_frac"] = sum(w.tokens for w in full) / (span * sizes.tokens)
    return out


def render(results: dict[str, dict[str, Any]], sizes: Sizes) -> str:
    head = [
        "client", "processes", "requests/window", "tokens/window", "429s", "retries",
        "lost", "errors", "s (each process)", "windows",
    ]  # fmt: skip
    lines = []
    for row in ROWS:
        for processes in (1, 2):
            res = results.get(f"{row.key}/{processes}")
            if res is None:
                continue
            if res["status"] != "ok":
                lines.append([row.label, str(processes), f"n/a ({res['reason']})"] + [""] * 7)
                continue
            lines.append(
                [
                    row.label,
                    str(processes),
                    _pct(res.get("requests_frac")),
                    _pct(res.get("tokens_frac")),
                    f"{res['rejected']:,} ({res['rejected_frac']:.1%})",
                    f"{res['retries']:,}",
                    f"{res['lost']:,} of {res['inputs']:,}",
                    str(res["errors"]),
                    " / ".join(f"{t:.0f}" for t in res.get("each", [res["seconds"]])),
                    str(res["windows"]),
                ]
            )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |"]
    out.append("|" + "|".join(":" + "-" * (w + 1) for w in widths) + "|")
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |" for line in lines]
    return (
        "### 8. Throughput at the rate limit\n\n"
        f"The emulator enforces {sizes.requests:,} requests and {sizes.tokens:,} tokens per "
        f"{sizes.window:g} s window and model. Jobs: `embed_documents` of {sizes.texts:,} "
        f"texts (52 emulator tokens each, {DIMENSIONS} dimensions) and `abatch` of "
        f"{sizes.chats:,} chats at `max_concurrency=64` (`max_tokens=16`; LlamaIndex: `achat` "
        "under `asyncio.gather` with a semaphore of 64); with 2 processes each does half. A row "
        'with fewer inputs says so in "lost". Fractions of the limit are over the full '
        "windows.\n\n" + "\n".join(out) + "\n"
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def run(
    quick: bool, main_python: str, official_python: str | None, rows: str = ""
) -> tuple[str, dict[str, Any]]:
    """Run every row (or the comma-separated ``rows`` keys), alone and as two processes."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from nebius_inference.testing import Emulator, EmulatorConfig, default_models

    sizes = QUICK if quick else FULL
    # Short vectors also for the clients that cannot ask for them (the official packages).
    models = [
        replace(m, dimensions=DIMENSIONS) if m.id == EMBEDDING_MODEL else m
        for m in default_models()
    ]
    config = EmulatorConfig(
        api_keys=None,
        models=models,
        rate_limit_requests=sizes.requests,
        rate_limit_tokens=sizes.tokens,
        rate_limit_window=sizes.window,
        rate_limit_enforce=True,
        request_log_limit=1_000_000,
    )
    results: dict[str, dict[str, Any]] = {}
    with Emulator(config) as emu:
        for row in ROWS:
            if rows and row.key not in rows.split(","):
                continue
            python = main_python if row.env == "main" else official_python
            for processes in (2,) if row.late else (1, 2):
                key = f"{row.key}/{processes}"
                if not python or not Path(python).exists():
                    results[key] = {"status": "n/a", "reason": f"no {row.env} venv"}
                else:
                    results[key] = run_row(row, python, emu, sizes, processes)
                res = results[key]
                print(f"  {row.label} x{processes}: {json.dumps(res)}", flush=True)
    return render(results, sizes), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "--official-python",
        default=str(BENCH_DIR / ".venv-official" / "bin" / "python"),
        help="a Python with langchain-openai installed (the official venv of run.py)",
    )
    parser.add_argument("--rows", default="", help="comma-separated row keys to run")
    parser.add_argument("--worker", nargs=4, metavar=("ROW", "BASE_URL", "COUNT", "START"))
    args = parser.parse_args()
    if args.worker:
        key, base_url, count, start = args.worker
        print(json.dumps(worker(key, base_url, int(count), int(start))))
        return
    section, _ = run(args.quick, sys.executable, args.official_python, args.rows)
    print("\n" + section)


if __name__ == "__main__":
    main()
