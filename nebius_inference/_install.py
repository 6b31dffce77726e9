"""Refuse to run beside the official ``langchain-nebius`` distribution.

Both ``nebius-inference`` and the official ``langchain-nebius`` install a module named
``langchain_nebius``. Whichever is installed second silently overwrites the other's files, pip
records both as owners, and uninstalling either deletes files the other needs; ``pip check``
sees nothing. So an environment holding both is broken whichever way round it was made, and
importing this distribution fails with one message that says what to run.

The check is cheap: it lists the directories on ``sys.path`` for a ``langchain_nebius-*``
metadata folder (``importlib.metadata`` is only imported when one is found, to read the
distributions' file records for the message).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = ["check_install", "conflict_message", "find_official_metadata"]

OFFICIAL = "langchain-nebius"
_PREFIXES = ("langchain_nebius-", "langchain-nebius-")
_SUFFIXES = (".dist-info", ".egg-info")


def find_official_metadata(paths: Iterable[str] | None = None) -> Path | None:
    """The metadata folder of an installed ``langchain-nebius`` on ``paths`` (``sys.path``)."""
    for entry in sys.path if paths is None else paths:
        try:
            with os.scandir(entry or ".") as it:
                for item in it:
                    name = item.name.lower()
                    if name.startswith(_PREFIXES) and name.endswith(_SUFFIXES):
                        return Path(item.path)
        except OSError:  # not a directory (a zip file), or gone
            continue
    return None


def conflict_message(paths: Iterable[str] | None = None) -> str | None:
    """The error text when ``langchain-nebius`` is installed beside us, else ``None``."""
    found = find_official_metadata(paths)
    if found is None:
        return None
    from importlib import metadata  # only on the rare path: it costs tens of milliseconds

    official = metadata.PathDistribution(found)
    ours = _our_distribution(paths)
    shared = sorted(_module_files(official) & _module_files(ours)) if ours is not None else []
    python = shlex.quote(sys.executable or "python")
    version = official.version or "?"
    lines = [
        f"The official langchain-nebius {version} ({found.parent}) is installed in the same "
        "environment as nebius-inference. Both install the module langchain_nebius, so "
        "whichever came second overwrote the other's files"
        + (f" ({', '.join(shared)})" if shared else "")
        + ", and uninstalling either would delete files the other needs. Keep one of them:",
        "",
        "  # nebius-inference (this distribution):",
        f"  {python} -m pip uninstall -y langchain-nebius nebius-inference && "
        f"{python} -m pip install {_reinstall_spec(ours)}",
        "",
        "  # or the official package instead:",
        f"  {python} -m pip uninstall -y nebius-inference langchain-nebius && "
        f"{python} -m pip install langchain-nebius",
    ]
    return "\n".join(lines)


def check_install() -> None:
    """Raise ``ImportError`` with :func:`conflict_message` when the environment is broken."""
    message = conflict_message()
    if message is not None:
        raise ImportError(message)


def _our_distribution(paths: Iterable[str] | None) -> Distribution | None:
    from importlib import metadata

    found = metadata.distributions(name="nebius-inference", path=list(paths or sys.path))
    return next(iter(found), None)


def _module_files(dist: Distribution) -> set[str]:
    return {
        f.as_posix()
        for f in dist.files or []
        if f.parts and f.parts[0] == "langchain_nebius" and f.suffix == ".py"
    }


def _reinstall_spec(ours: Distribution | None) -> str:
    """How this distribution was installed (pip's ``direct_url.json``), as a pip argument."""
    import json
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    default = shlex.quote("nebius-inference[langchain]")
    raw = ours.read_text("direct_url.json") if ours is not None else None
    if not raw:
        return default
    try:
        direct = json.loads(raw)
        url = str(direct["url"])
    except (ValueError, KeyError, TypeError):
        return default
    if url.startswith("file://") and "dir_info" in direct:
        folder = url2pathname(urlparse(url).path)
        editable = "-e " if direct["dir_info"].get("editable") else ""
        return editable + shlex.quote(f"{folder}[langchain]")
    return shlex.quote(f"nebius-inference[langchain] @ {url}")
