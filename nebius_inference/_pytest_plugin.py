"""The emulator's pytest fixtures, loaded by pytest through the ``pytest11`` entry point.

Installing ``nebius-inference`` registers this module with pytest under the name
``nebius_inference.testing.pytest_plugin``, so the fixtures work with no ``conftest.py`` line,
and the explicit ``pytest_plugins = ["nebius_inference.testing.pytest_plugin"]`` (which
re-exports these fixtures) is recognised as the same plugin rather than registered twice.

The emulator is imported only when a fixture is used, so pytest starts as before in an
environment without the ``emulator`` extra; using a fixture there raises the ``ImportError``
that names the extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nebius_inference.testing import Emulator, EmulatorConfig

__all__ = ["nebius_emulator", "nebius_emulator_clean", "nebius_emulator_config"]


@pytest.fixture(scope="session")
def nebius_emulator_config() -> EmulatorConfig:
    """The configuration of the session emulator (override to customise)."""
    from nebius_inference.testing import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture(scope="session")
def nebius_emulator(nebius_emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    """A running emulator shared by the whole test session."""
    from nebius_inference.testing import Emulator

    with Emulator(nebius_emulator_config) as emulator:
        yield emulator


@pytest.fixture
def nebius_emulator_clean(nebius_emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator with a fresh request log and no pending faults."""
    nebius_emulator.reset()
    yield nebius_emulator
    nebius_emulator.reset()
