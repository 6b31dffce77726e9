"""Shared test configuration: the emulator's pytest plugin serves the API on 127.0.0.1."""

from __future__ import annotations

pytest_plugins = ["nebius_inference.testing.pytest_plugin"]
