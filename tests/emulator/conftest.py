"""The emulator's own tests: ``unit`` calls its parts directly, ``served`` talks to it over HTTP
on 127.0.0.1 (mostly through the official OpenAI SDK, a client we did not write)."""

from __future__ import annotations

from sdk_fixtures import async_client, client, emu  # noqa: F401 (fixtures)
