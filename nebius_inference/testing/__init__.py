"""A deterministic local emulator of the Nebius AI Studio / Token Factory inference API.

It serves every endpoint under ``/v1`` over real loopback HTTP and behaves like a small,
honest model at the protocol level: same request, same reply.

Quick start::

    from openai import OpenAI
    from nebius_inference.testing import Emulator

    with Emulator() as emu:
        client = OpenAI(base_url=emu.base_url, api_key=emu.api_key)
        client.chat.completions.create(
            model="Qwen/Qwen3-235B-A22B-Instruct-2507",
            messages=[{"role": "user", "content": "Hello"}],
        )
        assert emu.request_log[-1].json["model"] == "Qwen/Qwen3-235B-A22B-Instruct-2507"

Replies depend only on the request: text, choices, tool arguments, structured output,
embeddings, rerank scores and images are the same every time. Ids differ between replies
and timestamps follow the clock (``EmulatorConfig.fixed_time`` pins them).

The ASGI application alone is :func:`create_app`. From a shell::

    python -m nebius_inference.testing --port 8000

pytest plugin
-------------
Installing the package registers it with pytest (a ``pytest11`` entry point); where entry
points are not loaded, enable it in the top-level ``conftest.py`` with
``pytest_plugins = ["nebius_inference.testing.pytest_plugin"]``. It provides the
session-scoped fixture ``nebius_emulator`` (a running :class:`Emulator`), the
function-scoped ``nebius_emulator_clean`` (the same emulator with log and faults reset)
and ``nebius_emulator_config`` (override it to configure the session emulator).

Faults
------
Faults are asked for per request with the header ``x-emulator-fault``, or per emulator
with :meth:`Emulator.inject` (a :class:`Fault` or the same text) or
``EmulatorConfig.faults``. The syntax is ``kind;param=value;...``; several faults are
separated by commas and the first with uses left fires, so
``rate_limit;times=1, error;status=503`` answers 429, then 503, then succeeds.

Kinds:

``rate_limit``
    429 with ``Retry-After`` (``retry_after=S``, default 1; fractions allowed),
    ``x-ratelimit-remaining-requests: 0`` and ``x-ratelimit-reset-requests`` equal to
    ``Retry-After``.
``error``
    an error reply with ``status=NNN`` (default 500), optional ``retry_after``.
``payment_required``
    402, as when the account's balance or spending budget is used up (``message=...`` sets
    the text).
``disconnect``
    the connection is closed without any reply; the request is not handled.
``lost_reply``
    the request is handled (a batch or file is created...), then the connection is
    closed without the reply, as when a response is lost on the way back.
``delay``
    the reply is sent normally after ``seconds=S`` (default 1).
``malformed``
    200 with a body that is not valid JSON; on a stream, a broken ``data:`` event
    before event ``after=K`` (default 1).
``stream_cut``
    the stream is cut (connection closed, no ``[DONE]``) after ``after=K`` events
    (default 2).
``stream_delay``
    ``seconds=S`` (default 0.2) of silence before each event from event ``after=K``.
``stream_error``
    an in-band ``data: {"error": {...}}`` event after ``after=K`` events (default 1),
    then ``[DONE]``; ``message=...`` sets the text.
``batch_fail``, ``batch_expire``
    on ``POST /v1/batches``: the batch fails validation, or expires half done.
``batch_drop_output``, ``batch_malformed_output``
    on ``POST /v1/batches``: ``lines=N`` successful lines are left out of the output
    file, or written as broken JSON.

Common parameters: ``times=N`` (uses, default 1; ``*`` for always) and ``key=K``.
Header faults count their uses per emulator, per header value, key, method and path, so
retries of one request see the fault ``times`` times. Give concurrent tests distinct
keys (``key=...`` or the header ``x-emulator-fault-key``). Stream kinds only apply to
streamed requests, batch kinds only to batch creation. Values may be percent-encoded.
"""

from __future__ import annotations

from nebius_inference._extras import require_extra

require_extra("nebius_inference.testing", "emulator", "starlette", "uvicorn", "PIL")

from ._app import create_app
from ._config import EmulatorConfig
from ._faults import (
    FAULT_HEADER,
    FAULT_KEY_HEADER,
    Fault,
    FaultKind,
    FaultSyntaxError,
    parse_faults,
)
from ._live_or_emulated import Connection, live_or_emulated
from ._models import EMULATOR_IMAGE_MODEL, ModelKind, ModelSpec, default_models
from ._server import Emulator
from ._state import RecordedRequest

__all__ = [
    "EMULATOR_IMAGE_MODEL",
    "FAULT_HEADER",
    "FAULT_KEY_HEADER",
    "Connection",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultKind",
    "FaultSyntaxError",
    "ModelKind",
    "ModelSpec",
    "RecordedRequest",
    "create_app",
    "default_models",
    "live_or_emulated",
    "parse_faults",
]
