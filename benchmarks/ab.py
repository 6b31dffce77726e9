"""CPU per call of our core clients in two checkouts, in alternating fresh processes.

    python benchmarks/ab.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 8] [--modes sync,async]

One benchmark server (``server.py``) serves every process. Each process imports
``nebius_inference`` from one checkout (through ``PYTHONPATH``), warms up, then times 2,000
sequential ``NebiusClient.create_chat_completion`` calls (``sync``) or 3,000
``AsyncNebiusClient`` calls with 64 in flight (``async``) and reports the process CPU time per
call. The order of the two checkouts alternates from round to round, so a machine that gets
busier or quieter during the run weighs on both alike. Prints the median, the minimum and every
sample. Compare the two within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

CHILD = r"""
import asyncio, json, sys, time
import nebius_inference as ni
base, mode, root = sys.argv[1:4]
assert ni.__file__.startswith(root), ni.__file__
messages = [{"role": "user", "content": "hi"}]
if mode == "sync":
    client = ni.NebiusClient(api_key="k", base_url=base, max_retries=0)
    for _ in range(300):
        client.create_chat_completion(model="m", messages=messages)
    start = time.process_time()
    for _ in range(2000):
        client.create_chat_completion(model="m", messages=messages)
    print(json.dumps((time.process_time() - start) / 2000 * 1e6))
else:
    async def main():
        client = ni.AsyncNebiusClient(api_key="k", base_url=base, max_retries=0)
        gate = asyncio.Semaphore(64)
        async def one():
            async with gate:
                await client.create_chat_completion(model="m", messages=messages)
        await asyncio.gather(*(one() for _ in range(500)))
        start = time.process_time()
        await asyncio.gather(*(one() for _ in range(3000)))
        spent = (time.process_time() - start) / 3000 * 1e6
        await client.aclose()
        return spent
    print(json.dumps(asyncio.run(main())))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--modes", default="sync,async")
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    modes = args.modes.split(",")
    server = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "server.py")], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    base = f"http://127.0.0.1:{int(server.stdout.readline().split()[1])}/v1"
    samples: dict[tuple[str, str], list[float]] = {(t, m): [] for t in trees for m in modes}
    try:
        for round_ in range(args.rounds):
            order = list(trees.items()) if round_ % 2 == 0 else list(trees.items())[::-1]
            for mode in modes:
                for name, root in order:
                    env = dict(os.environ, PYTHONPATH=str(root))
                    done = subprocess.run(
                        [sys.executable, "-c", CHILD, base, mode, str(root)],
                        env=env,
                        cwd=BENCH_DIR,  # not a checkout: the import comes from PYTHONPATH
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    samples[(name, mode)].append(json.loads(done.stdout))
    finally:
        server.terminate()
        server.wait()
    for (name, mode), values in samples.items():
        print(
            f"{mode:5} {name:3} median {statistics.median(values):7.1f} µs CPU/call, "
            f"min {min(values):7.1f}, all {[round(v) for v in values]}"
        )


if __name__ == "__main__":
    main()
