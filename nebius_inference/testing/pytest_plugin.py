"""pytest fixtures serving the emulator.

Installing ``nebius-inference`` registers them with pytest (a ``pytest11`` entry point), so
they work with no configuration. Where entry points are not loaded (``-p no:...``,
``PYTEST_DISABLE_PLUGIN_AUTOLOAD``, or the package on ``sys.path`` without being installed),
enable them in the top-level ``conftest.py``::

    pytest_plugins = ["nebius_inference.testing.pytest_plugin"]

Both forms together register the plugin once.

Fixtures:

``nebius_emulator_config`` (session)
    The :class:`EmulatorConfig` of the session emulator; override it to change settings.
``nebius_emulator`` (session)
    A running :class:`Emulator`.
``nebius_emulator_clean`` (function)
    The session emulator with its request log, injected faults and fault counters reset.
"""

from __future__ import annotations

from nebius_inference._pytest_plugin import (
    nebius_emulator,
    nebius_emulator_clean,
    nebius_emulator_config,
)

__all__ = ["nebius_emulator", "nebius_emulator_clean", "nebius_emulator_config"]
