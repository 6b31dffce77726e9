"""Run every benchmark with one command and print (and save) the tables.

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # small sizes, about a minute
    python benchmarks/run.py --only chat,stream --rounds 2

On first use it creates two venvs next to this file and re-executes itself in the first:

- ``.venv``: this checkout (``-e ".[all]"``), ``llama-index-llms-nebius``,
  ``llama-index-embeddings-nebius``, ``uvloop`` (for the server) and ``pyinstrument``;
- ``.venv-official``: the official ``langchain-nebius`` (its module is also called
  ``langchain_nebius``), ``langchain-openai`` and the ``openai`` SDK.

The competitors are installed here only, never as extras of our distribution. The fast local
server (``server.py``) runs in its own process; every row runs in a fresh worker process
(``worker.py``) in its venv. Results go to ``benchmarks/results/`` (``latest.md`` and
``latest.json``, plus a timestamped copy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV = BENCH_DIR / ".venv"
OFFICIAL_VENV = BENCH_DIR / ".venv-official"
RESULTS = BENCH_DIR / "results"

MAIN_EXTRAS = [
    "llama-index-llms-nebius",
    "llama-index-embeddings-nebius",
    "uvloop",
    "pyinstrument",
]
OFFICIAL_PACKAGES = ["langchain-nebius", "langchain-openai", "openai", "httpx"]


# --- bootstrap --------------------------------------------------------------------------------


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp(packages: list[str]) -> str:
    text = json.dumps(packages) + (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()


def _pip(python: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )


def _pip_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")]
    return (lines or done.stderr.strip().splitlines() or ["pip failed"])[-1][:200]


def ensure_venv(venv: Path, packages: list[str], *, editable: bool, force: bool) -> dict[str, str]:
    """Create ``venv`` and install ``packages`` (once; again when they or pyproject change).

    Returns the packages that failed to install, with pip's reason. Our own distribution
    failing to install is fatal; a competitor failing only costs its rows.
    """
    stamp_file = venv / "bench-stamp.json"
    stamp = _stamp(packages + (["-e ."] if editable else []))
    if not force and stamp_file.exists():
        saved = json.loads(stamp_file.read_text(encoding="utf-8"))
        if saved.get("stamp") == stamp:
            failed: dict[str, str] = saved.get("failed", {})
            return failed
    python = _python(venv)
    if not python.exists():
        print(f"creating {venv.name} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if editable:
        print(f"installing this checkout into {venv.name} ...", flush=True)
        done = _pip(python, ["-e", f"{ROOT}[all]"])
        if done.returncode != 0:
            raise SystemExit(f"could not install this checkout: {_pip_error(done)}")
    print(f"installing {', '.join(packages)} into {venv.name} ...", flush=True)
    failed = {}
    if _pip(python, packages).returncode != 0:
        for package in packages:
            done = _pip(python, [package])
            if done.returncode != 0:
                failed[package] = _pip_error(done)
    stamp_file.write_text(json.dumps({"stamp": stamp, "failed": failed}), encoding="utf-8")
    return failed


def bootstrap(args: argparse.Namespace) -> None:
    """Make both venvs, then re-execute this script inside ``.venv``."""
    failed = ensure_venv(VENV, MAIN_EXTRAS, editable=True, force=args.reinstall)
    try:
        failed.update(
            ensure_venv(OFFICIAL_VENV, OFFICIAL_PACKAGES, editable=False, force=args.reinstall)
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        failed["official venv"] = str(exc)
    for package, reason in failed.items():
        print(f"note: {package} did not install ({reason}); its rows will say n/a", flush=True)
    python = str(_python(VENV))
    os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])


def in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


# --- running ----------------------------------------------------------------------------------


def run_rows(
    python: Path | None, scenario: str, rows: list[Any], cfg: Any
) -> dict[str, dict[str, Any]]:
    """Run ``rows`` (all of one venv) in one worker process; each row's result by key."""
    from harness import clean_env

    def every(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {row.key: dict(result) for row in rows}

    if python is None or not python.exists():
        return every({"status": "n/a", "reason": f"no {rows[0].env} venv"})
    RESULTS.mkdir(exist_ok=True)
    keys = ",".join(row.key for row in rows)
    try:
        done = subprocess.run(
            [str(python), str(BENCH_DIR / "worker.py"), scenario, keys, cfg.to_json()],
            cwd=RESULTS,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        return every({"status": "n/a", "reason": "timed out after 900 s"})
    lines = done.stdout.strip().splitlines()
    try:
        results: dict[str, dict[str, Any]] = json.loads(lines[-1])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return every({"status": "n/a", "reason": f"crashed: {last[:160]}"})
    return results


def batches(rows: list[Any], shared: bool) -> list[list[Any]]:
    """One row per worker process; with ``shared``, one process per venv (faster, noisier)."""
    if not shared:
        return [[row] for row in rows]
    by_env: dict[str, list[Any]] = {}
    for row in rows:
        by_env.setdefault(row.env, []).append(row)
    return list(by_env.values())


def merge(merged: dict[str, dict[str, Any]], key: str, res: dict[str, Any]) -> None:
    """Pool the samples of another round into ``merged[key]``."""
    prev = merged.get(key)
    if prev is None or prev["status"] != "ok":
        merged[key] = res
    elif res["status"] == "ok":
        for name in ("wall", "cpu", "requests"):
            prev[name] = prev.get(name, []) + res.get(name, [])
        prev["rss_mb"] = max(prev.get("rss_mb") or 0, res.get("rss_mb") or 0)


def summarize(
    scenario: Any, n: int, rows: list[Any], results: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per row: the median value in the scenario's unit, its ratio to the floor, CPU, requests."""
    from harness import median

    out = []
    for row in rows:
        res = results[row.key]
        entry: dict[str, Any] = {
            "key": row.key,
            "label": row.label,
            "kind": row.kind,
            "env": row.env,
            "status": res["status"],
        }
        if res["status"] != "ok":
            entry["reason"] = res.get("reason", "")
            out.append(entry)
            continue
        walls, cpus = res["wall"], res.get("cpu", [])
        if scenario.metric == "per_call":
            value, cpu = median(walls) / n * 1e6, median(cpus) / n * 1e6
        elif scenario.metric == "rate":
            value, cpu = n / median(walls), median(cpus) / n * 1e6
        elif scenario.metric == "seconds":
            value, cpu = median(walls), median(cpus)
        else:
            value, cpu = median(walls) * 1000, float("nan")
        entry.update(
            value=value,
            cpu=cpu,
            samples=len(walls),
            requests=median(res["requests"]) if res.get("requests") else None,
            rss_mb=res.get("rss_mb"),
            rss_small_mb=res.get("rss_small_mb"),
            rss_per_10k_mb=res.get("rss_per_10k_mb"),
        )
        out.append(entry)
    floor = next((e for e in out if e["kind"] == "floor" and e["status"] == "ok"), None)
    for entry in out:
        if floor is not None and entry["status"] == "ok":
            entry["ratio"] = entry["value"] / floor["value"]
            entry["cpu_ratio"] = cpu_ratio(scenario, entry["cpu"], floor["cpu"])
    return out


def cpu_ratio(scenario: Any, ours: float, ref: float) -> float:
    """The CPU-time ratio, oriented like the wall ratio (for rates: reference CPU / ours)."""
    return ref / ours if scenario.metric == "rate" else ours / ref


def render(scenario: Any, n: int, summary: list[dict[str, Any]]) -> str:
    from harness import fmt, markdown_table

    metric = scenario.metric
    value_digits = 1 if metric == "seconds" else 0
    cpu_head = {"per_call": "CPU µs/call", "rate": "CPU µs/item", "seconds": "CPU s"}.get(metric)
    headers = ["client", scenario.unit, "vs floor"]
    if cpu_head:
        headers += [cpu_head, "vs floor (CPU)"]
    if scenario.key == "embeddings":
        headers += ["HTTP requests", "peak RSS +MB"]
    if scenario.key == "memory":
        headers = ["client", f"peak RSS +MB, {n // 4:,} texts", f"+MB, {n:,} texts"]
        headers += ["+MB per 10,000 vectors", scenario.unit, "HTTP requests", "runs"]
        lines = [
            [e["label"], f"n/a ({e['reason']})", "", "", "", "", ""]
            if e["status"] != "ok"
            else [
                e["label"],
                fmt(e["rss_small_mb"] or 0),
                fmt(e["rss_mb"] or 0),
                fmt(e["rss_per_10k_mb"] or 0),
                fmt(e["value"], 1),
                fmt(e["requests"] or 0),
                str(e["samples"]),
            ]
            for e in summary
        ]
        note = "peak RSS growth of the worker over its warm-up; lower is better"
        return f"### {scenario.title}\n\nn = {n:,}; {note}.\n\n{markdown_table(headers, lines)}\n"
    headers.append("runs")
    lines = []
    for e in summary:
        if e["status"] != "ok":
            cells = [e["label"], f"n/a ({e['reason']})", ""]
            cells += [""] * (len(headers) - len(cells))
            lines.append(cells)
            continue
        ratio = e.get("ratio")
        cells = [
            e["label"],
            fmt(e["value"], value_digits),
            f"{ratio:.2f}x" if ratio is not None else "-",
        ]
        if cpu_head:
            cells.append(fmt(e["cpu"], 1 if metric == "seconds" else 0))
            cells.append(f"{e['cpu_ratio']:.2f}x" if "cpu_ratio" in e else "-")
        if scenario.key == "embeddings":
            cells += [fmt(e["requests"] or 0), fmt(e["rss_mb"] or 0)]
        cells.append(str(e["samples"]))
        lines.append(cells)
    note = {
        "per_call": "lower is better; vs floor = time / floor time",
        "rate": "higher is better; vs floor = throughput / floor throughput",
        "seconds": "lower is better; vs floor = time / floor time",
        "millis": "lower is better; vs floor = time / `import httpx` time",
    }[metric]
    size = f"n = {n:,}" if metric != "millis" else "fresh interpreter per sample"
    return f"### {scenario.title}\n\n{size}; {note}.\n\n{markdown_table(headers, lines)}\n"


def _entry(summaries: dict[str, list[dict[str, Any]]], scenario: str, key: str) -> Any:
    for e in summaries.get(scenario, []):
        if e["key"] == key and e["status"] == "ok":
            return e
    return None


# (scenario, our row, reference row, target, limit, unit). Units "µs" and "s" are times (ours /
# reference <= limit), "/s" is throughput (ours / reference >= limit), "ms" an import budget
# (ours <= reference + limit, or <= limit when there is no reference row).
TARGETS = [
    ("chat", "lc_ours", "floor", "ChatNebius.invoke <= 1.5x raw httpx per call", 1.5, "µs"),
    ("stream", "lc_ours", "lc_openai", "ChatNebius.stream >= 3x ChatOpenAI.stream", 3.0, "/s"),
    ("async", "core", "floor", "AsyncNebiusClient >= 10x raw httpx.AsyncClient", 10.0, "/s"),
    ("async", "lc_ours", "floor", "ChatNebius.ainvoke >= 10x raw httpx.AsyncClient", 10.0, "/s"),
    ("async", "li_ours", "floor", "NebiusLLM.achat >= 10x raw httpx.AsyncClient", 10.0, "/s"),
    ("embeddings", "core", "floor", "NebiusClient.embed <= 1.3x the floor", 1.3, "s"),
    (
        "embeddings",
        "lc_ours",
        "floor",
        "NebiusEmbeddings.embed_documents <= 1.3x the floor",
        1.3,
        "s",
    ),
    (
        "embeddings",
        "li_ours",
        "floor",
        "NebiusEmbedding.get_text_embedding_batch <= 1.3x the floor",
        1.3,
        "s",
    ),
    (
        "imports",
        "lc_ours",
        "lc_core_base",
        "import langchain_nebius <= langchain-core + 100 ms",
        100.0,
        "ms",
    ),
    ("imports", "core", "", "import nebius_inference <= 150 ms", 150.0, "ms"),
]


def targets(summaries: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """(target, measured, holds?) for each target (from the project issue) that this run measured.

    Time and throughput targets are judged on wall time and on CPU time: on a busy machine
    the wall clock also counts waiting for a core, the CPU clock does not. "yes" needs both.
    """
    from scenarios import get

    out: list[tuple[str, str, str]] = []
    for scenario, key, ref_key, name, limit, unit in TARGETS:
        if scenario not in summaries:
            continue
        ours = _entry(summaries, scenario, key)
        ref = _entry(summaries, scenario, ref_key) if ref_key else {"value": 0.0}
        if ours is None or ref is None:
            out.append((name, "-", "n/a"))
            continue
        if unit == "ms":  # an absolute budget, over a baseline when there is one
            ok = ours["value"] <= ref["value"] + limit
            measured = f"{ours['value']:.0f} ms"
            if ref_key:
                measured += f" vs {ref['value']:.0f} + {limit:.0f} ms"
            out.append((name, measured, "yes" if ok else "NO"))
            continue
        digits = 1 if unit == "s" else 0
        wall = ours["value"] / ref["value"]
        cpu = cpu_ratio(get(scenario), ours["cpu"], ref["cpu"])

        def holds(ratio: float, limit: float = limit, unit: str = unit) -> bool:
            return ratio >= limit if unit == "/s" else ratio <= limit

        verdict = {(True, True): "yes", (False, False): "NO"}.get(
            (holds(wall), holds(cpu)), "wall only" if holds(wall) else "CPU only"
        )
        measured = (
            f"wall {wall:.2f}x ({ours['value']:,.{digits}f} vs {ref['value']:,.{digits}f} "
            f"{unit}), CPU {cpu:.2f}x"
        )
        out.append((name, measured, verdict))
    return out


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def versions(python: Path) -> dict[str, str]:
    if not python.exists():
        return {}
    done = subprocess.run(
        [str(python), str(BENCH_DIR / "worker.py"), "--versions"],
        capture_output=True,
        text=True,
        cwd=BENCH_DIR,
    )
    try:
        found: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios: imports,chat,stream,async,embeddings,memory,ratelimit",
    )
    parser.add_argument("--rows", default="", help="comma-separated row keys to run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every row this many times (interleaved) and pool the samples",
    )
    parser.add_argument("--reinstall", action="store_true", help="reinstall both venvs")
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="run in this interpreter without creating the bench venvs",
    )
    args = parser.parse_args()
    if not args.no_venv and not in_bench_venv():
        bootstrap(args)
        return

    sys.path.insert(0, str(BENCH_DIR))
    import scenarios
    from harness import BenchServer, Config, markdown_table

    pythons = {
        "main": Path(sys.executable) if args.no_venv else _python(VENV),
        "official": _python(OFFICIAL_VENV),
    }
    chosen = [s for s in scenarios.SCENARIOS if not args.only or s.key in args.only.split(",")]
    info = machine()
    info["mode"] = "quick" if args.quick else "full"
    env_versions = {name: versions(py) for name, py in pythons.items()}
    print(
        f"{info['date']}  {info['cpus']} x {info['cpu_model']}  Python {info['python']}  "
        f"({info['mode']} run)",
        flush=True,
    )
    summaries: dict[str, list[dict[str, Any]]] = {}
    sections = []
    with BenchServer(str(pythons["main"])) as server:
        for scenario in chosen:
            n = scenario.quick_n if args.quick else scenario.n
            reps = scenario.quick_reps if args.quick else scenario.reps
            base = f"{server.url}/n{n}/v1" if scenario.stream_prefix else f"{server.url}/v1"
            budget = scenario.budget / 2 if args.quick else scenario.budget
            cfg = Config(base_url=base, n=n, reps=reps, warmup=scenario.warmup, budget=budget)
            rows = [
                r
                for r in scenarios.get_rows(scenario.key)
                if not args.rows or r.key in args.rows.split(",")
            ]
            merged: dict[str, dict[str, Any]] = {}
            print(f"\n{scenario.title}", flush=True)
            started = time.perf_counter()
            for _ in range(max(1, args.rounds)):
                # Memory is measured per process, so its rows never share one.
                shared = args.quick and scenario.key != "memory"
                for batch in batches(rows, shared=shared):
                    done = run_rows(pythons.get(batch[0].env), scenario.key, batch, cfg)
                    for row in batch:
                        merge(merged, row.key, done[row.key])
                        res = done[row.key]
                        state = "ok" if res["status"] == "ok" else f"n/a ({res.get('reason')})"
                        print(f"  {row.label}: {state}", flush=True)
            summary = summarize(scenario, n, rows, merged)
            summaries[scenario.key] = summary
            section = render(scenario, n, summary)
            sections.append(section)
            print(f"\n{section}({time.perf_counter() - started:.0f} s)", flush=True)

    if not args.only or "ratelimit" in args.only.split(","):
        import ratelimit  # its own emulator with an enforced limit, and its own table

        print("\n8. Throughput at the rate limit", flush=True)
        started = time.perf_counter()
        section, _ = ratelimit.run(
            args.quick, str(pythons["main"]), str(pythons["official"]), args.rows
        )
        sections.append(section)
        print(f"\n{section}({time.perf_counter() - started:.0f} s)", flush=True)

    checks = targets(summaries)
    header = (
        f"Run {info['date']} ({info['mode']}), {info['cpus']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}.\n"
    )
    ver = "\n".join(
        f"- `{name}` venv: " + ", ".join(f"{k} {v}" for k, v in vs.items())
        for name, vs in env_versions.items()
        if vs
    )
    target_md = (
        markdown_table(["target", "measured", "holds"], [list(c) for c in checks]) if checks else ""
    )
    report = "\n".join(
        [f"## Results\n\n{header}\n{ver}\n", *sections, f"### Targets\n\n{target_md}\n"]
    )
    print(f"\n### Targets\n\n{target_md}\n", flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    data = {
        "machine": info,
        "versions": env_versions,
        "scenarios": summaries,
        "targets": [dict(zip(("target", "measured", "holds"), c)) for c in checks],
    }
    names = [f"{stamp}-{info['mode']}"]
    if not args.only and not args.rows:
        names.append("latest")  # only a run of every scenario and row replaces "latest"
    for name in names:
        (RESULTS / f"{name}.md").write_text(report, encoding="utf-8")
        (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print("written: " + ", ".join(f"results/{name}.md" for name in names))


if __name__ == "__main__":
    main()
