"""The API key never shows: not in repr/str, errors, tracebacks, logs or pickles."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable

import httpx
import pytest
from fakes import API_KEY, FakeAPI, Handler

import nebius_inference as ni
from nebius_inference._config import Secret, resolve_options


def _auth_error(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"detail": "Invalid API key"})


def test_client_repr_and_options_hide_the_key(recorder: Callable[[Handler], FakeAPI]) -> None:
    client = recorder(_auth_error).sync_client()
    for text in (
        repr(client),
        str(client),
        repr(resolve_options(api_key=API_KEY)),
        str(Secret(API_KEY)),
    ):
        assert API_KEY not in text


def test_errors_and_tracebacks_hide_the_key(recorder: Callable[[Handler], FakeAPI]) -> None:
    client = recorder(_auth_error).sync_client()
    with pytest.raises(ni.AuthenticationError) as info:
        client.list_models()
    error = info.value
    rendered = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), rendered, repr(error.request), repr(error.response)):
        assert API_KEY not in text
    assert error.request is not None
    assert API_KEY not in repr(error.request.headers)


def test_debug_logs_redact_authorization(
    recorder: Callable[[Handler], FakeAPI], caplog: pytest.LogCaptureFixture
) -> None:
    client = recorder(_auth_error).sync_client()
    with caplog.at_level(logging.DEBUG, logger="nebius_inference"), pytest.raises(ni.APIError):
        client.list_models()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "/v1/models" in text and "[redacted]" in text
    assert API_KEY not in text


def test_clients_and_secrets_refuse_to_pickle(recorder: Callable[[Handler], FakeAPI]) -> None:
    client = recorder(_auth_error).sync_client()
    for thing in (client, Secret(API_KEY), resolve_options(api_key=API_KEY)):
        with pytest.raises(TypeError, match="pickle"):
            pickle.dumps(thing)


def test_setup_logging_reads_nebius_log(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("nebius_inference")
    before = (logger.level, list(logger.handlers))
    try:
        monkeypatch.setenv("NEBIUS_LOG", "debug")
        ni.setup_logging()
        assert logger.level == logging.DEBUG
        assert any(getattr(h, "_nebius", False) for h in logger.handlers)
    finally:
        logger.setLevel(before[0])
        logger.handlers[:] = before[1]
