"""Peak memory of embedding a corpus with our core against the bundled emulator, whose
``Qwen/Qwen3-Embedding-8B`` returns 4,096-dimension vectors as the live model does.

Each shape runs in a fresh child process (the emulator runs in this one), which embeds a
quarter of the corpus and then all of it, and reports the growth of its peak RSS over its
warm-up after each; "per 10,000 vectors" is the difference over the vectors between the two.

    python benchmarks/memory_emulator.py              # 20,000 texts
    python benchmarks/memory_emulator.py --texts 8000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from typing import Any

MODEL = "Qwen/Qwen3-Embedding-8B"
SHAPES = {
    "list": "embed, lists of floats",
    "array": "embed(output='array')",
    "numpy": "embed(output='numpy')",
    "chunks": "iter_embeddings(output='array'), consumed per chunk",
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _consume(client: Any, shape: str, docs: list[str]) -> int:
    if shape == "chunks":
        seen = 0
        for start, vectors in client.iter_embeddings(docs, model=MODEL, output="array"):
            if start != seen:
                raise AssertionError(f"chunk at {start}, expected {seen}")
            seen += len(vectors)
        return seen
    output = "list" if shape == "list" else shape
    return len(client.embed(docs, model=MODEL, output=output))


def child(shape: str, texts: int) -> dict[str, Any]:
    """One shape's figures; the emulator's address and key come from the environment."""
    from nebius_inference import NebiusClient

    docs = [f"Passage {i}: a short text about topic {i % 97} for retrieval." for i in range(texts)]
    small = docs[: texts // 4]
    with NebiusClient() as client:
        _consume(client, shape, docs[:512])  # warm-up
        base = _peak_mb()
        if _consume(client, shape, small) != len(small):
            raise AssertionError("vectors missing")
        rss_small = _peak_mb() - base
        if _consume(client, shape, docs) != len(docs):
            raise AssertionError("vectors missing")
        rss_large = _peak_mb() - base
    return {
        "small": rss_small,
        "large": rss_large,
        "per_10k": (rss_large - rss_small) / (texts - len(small)) * 10_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--child", metavar="SHAPE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.texts)))
        return

    from nebius_inference.testing import Emulator

    rows = []
    with Emulator() as emu:
        for shape, label in SHAPES.items():
            env = {**os.environ, "NEBIUS_BASE_URL": emu.base_url, "NEBIUS_API_KEY": emu.api_key}
            done = subprocess.run(
                [sys.executable, __file__, "--texts", str(args.texts), "--child", shape],
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(
                f"| {label} | {r['small']:,.0f} | {r['large']:,.0f} | {r['per_10k']:,.0f} |"
            )
            print(rows[-1], flush=True)
    quarter = args.texts // 4
    print(
        f"\n| shape | peak RSS +MB, {quarter:,} texts | +MB, {args.texts:,} texts "
        "| +MB per 10,000 vectors |\n|:--|--:|--:|--:|\n" + "\n".join(rows)
    )


if __name__ == "__main__":
    main()
