"""Peak memory of batch jobs as they grow: ``python benchmarks/batch_rss.py [--sizes 10000,50000]``.

For each size, a fresh process runs ``run_batch`` over a generator of chat requests, then one
over a generator of embedding requests (one text each, 256 dimensions), against the emulator
served by a process of its own (batches finish at the first look), and walks the results in
input order a chunk at a time, keeping nothing. It reports the process's peak RSS, the wall
time per 10,000 inputs and the disk the job's folder used. The emulator's own memory is not
counted. Growth is the peak RSS at the largest size over the smallest.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

CHILD = r"""
import json, resource, shutil, sys, tempfile, time
from pathlib import Path
from nebius_inference import NebiusClient
from nebius_inference.batch import run_batch

kind, size, base_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
folder = Path(tempfile.mkdtemp(prefix="batch-rss-"))
if kind == "chat":
    requests = (
        {"model": "Qwen/Qwen3-30B-A3B-Instruct-2507", "max_tokens": 8,
         "messages": [{"role": "user", "content": f"Summarise document {i} of the corpus."}]}
        for i in range(size)
    )
else:
    requests = (
        {"model": "Qwen/Qwen3-Embedding-8B", "dimensions": 256,
         "input": [f"document {i} of the corpus, about topic {i % 97}"]}
        for i in range(size)
    )
started = time.perf_counter()
with NebiusClient(api_key="test-key", base_url=base_url) as client:
    results = run_batch(client, requests, state_path=folder / "job.json", poll_interval=0.05,
                        max_poll_interval=0.05)
    ok = sum(item.ok for chunk in results.chunks(1_000) for item in chunk)
seconds = time.perf_counter() - started
disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
shutil.rmtree(folder)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
row = {"ok": ok, "peak_mb": peak_kb / 1024, "seconds": seconds, "disk_mb": disk / 2**20}
print(json.dumps(row))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,200000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    emulator = subprocess.Popen(
        [sys.executable, "-m", "nebius_inference.testing", "--port", "0",
         "--batch-advance", "time", "--batch-step-seconds", "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert emulator.stdout is not None
        base_url = re.search(r"base_url=(\S+)", emulator.stdout.readline())
        assert base_url is not None, "the emulator did not start"
        rows = []
        for kind in ("chat", "embeddings"):
            for size in sizes:
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, kind, str(size), base_url.group(1)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                row = {"kind": kind, "inputs": size, **json.loads(done.stdout)}
                assert row["ok"] == size, row
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        emulator.terminate()
        emulator.wait()
    print("\n| job | inputs | peak RSS (MB) | seconds per 10,000 | disk (MB) |")
    print("|---|---|---|---|---|")
    for row in rows:
        per = row["seconds"] / row["inputs"] * 10_000
        print(
            f"| {row['kind']} | {row['inputs']:,} | {row['peak_mb']:.0f} | {per:.1f} | "
            f"{row['disk_mb']:.1f} |"
        )
    for kind in ("chat", "embeddings"):
        peaks = [r["peak_mb"] for r in rows if r["kind"] == kind]
        print(f"{kind}: peak RSS grows {100 * (peaks[-1] / peaks[0] - 1):.0f}% over the sizes")


if __name__ == "__main__":
    main()
