"""Clear errors for optional dependencies that are not installed."""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["require_extra"]


def require_extra(package: str, extra: str, *modules: str) -> None:
    """Raise an ``ImportError`` that says which extra to install when a module is missing."""
    missing = [name for name in modules if not _installed(name)]
    if missing:
        raise ImportError(
            f"{package} needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed. "
            f'Install it with: pip install "nebius-inference[{extra}]"'
        )


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package of a dotted name is missing
        return False
