"""Run example code against Nebius when a key is set, otherwise against a local emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ._config import EmulatorConfig
from ._server import Emulator

__all__ = ["Connection", "live_or_emulated"]


@dataclass(frozen=True)
class Connection:
    """Where the code inside :func:`live_or_emulated` talks to."""

    base_url: str
    emulated: bool


@contextmanager
def live_or_emulated(
    *, config: EmulatorConfig | None = None, quiet: bool = False
) -> Iterator[Connection]:
    """Use the real API when ``NEBIUS_API_KEY`` is set; otherwise serve the emulator.

    Inside the block, ``NEBIUS_API_KEY`` and ``NEBIUS_BASE_URL`` point at whichever was chosen, so
    code written for production (``NebiusClient()``, ``ChatNebius()``, ...) runs unchanged. One
    line on stdout says which it is (unless ``quiet``). The environment is restored afterwards.
    """
    if os.environ.get("NEBIUS_API_KEY"):
        base_url = os.environ.get("NEBIUS_BASE_URL") or os.environ.get(
            "NEBIUS_API_BASE", "https://api.tokenfactory.nebius.com/v1"
        )
        if not quiet:
            print(f"Using the Nebius API at {base_url} (NEBIUS_API_KEY is set).", flush=True)
        yield Connection(base_url=base_url, emulated=False)
        return
    saved = {name: os.environ.get(name) for name in ("NEBIUS_API_KEY", "NEBIUS_BASE_URL")}
    with Emulator(config) as emulator:
        os.environ["NEBIUS_API_KEY"] = emulator.api_key
        os.environ["NEBIUS_BASE_URL"] = emulator.base_url
        if not quiet:
            print(
                f"NEBIUS_API_KEY is not set: running offline against the local emulator at "
                f"{emulator.base_url} (replies are synthetic).",
                flush=True,
            )
        try:
            yield Connection(base_url=emulator.base_url, emulated=True)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
