"""The API key is in no error: not in its repr, str, pickle (nor the unpickled copy's attributes),
formatted traceback or cause, nor in any log record written while it was raised.

Every error class is produced the way users meet it: by the sync and async clients over real
loopback sockets (the emulator with faults, a closed port, a server that never answers), so the
request objects the errors keep are the ones the clients really built. The LangChain twins are
checked too, both converted one by one and raised by ``ChatNebius``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import pickle
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nebius_inference as ni
from nebius_inference.testing import Emulator, EmulatorConfig

KEY = "nb-secret-5f1e0c9a7d3b4e62a8c1f0e9d7b6a5c4"
MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
MESSAGES = [{"role": "user", "content": "hello"}]

# (status, message or None) -> the class the client must raise.
STATUS_CASES: list[tuple[int, str | None, type[ni.APIStatusError]]] = [
    (400, None, ni.BadRequestError),
    (400, "This model's maximum context length is 4096 tokens.", ni.ContextLengthExceededError),
    (402, None, ni.PaymentRequiredError),
    (403, None, ni.PermissionDeniedError),
    (404, None, ni.NotFoundError),
    (409, None, ni.ConflictError),
    (413, None, ni.RequestTooLargeError),
    (418, None, ni.APIStatusError),
    (422, None, ni.UnprocessableEntityError),
    (429, None, ni.RateLimitError),
    (500, None, ni.InternalServerError),
    (503, None, ni.InternalServerError),
]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(api_keys=(KEY,))) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers (for timeouts)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_uses = itertools.count()


def fault(spec: str) -> dict[str, Any]:
    """Per-call fault headers; a fresh key each time, so every call sees its fault."""
    return {"extra_headers": {"x-emulator-fault": spec, "x-emulator-fault-key": f"s{next(_uses)}"}}


def sync_errors(emu: Emulator, silent_port: int, key: str = KEY) -> list[ni.NebiusError]:
    """One error of every kind, raised by the sync client."""
    found: list[ni.NebiusError] = []

    def catch(action: Callable[[], object]) -> None:
        with pytest.raises(ni.NebiusError) as info:
            action()
        found.append(info.value)

    with ni.NebiusClient(api_key=key, base_url=emu.base_url, max_retries=0) as client:
        for status, message, _ in STATUS_CASES:
            spec = f"error;status={status}" + (f";message={message}" if message else "")
            catch(
                lambda spec=spec: client.create_chat_completion(  # type: ignore[misc]
                    model=MODEL, messages=MESSAGES, **fault(spec)
                )
            )
        catch(
            lambda: client.create_chat_completion(
                model=MODEL, messages=MESSAGES, **fault("malformed")
            )
        )
        catch(
            lambda: client.create_chat_completion(
                model=MODEL, messages=MESSAGES, **fault("disconnect")
            )
        )
        catch(
            lambda: list(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("stream_cut;after=1")
                )
            )
        )
        catch(
            lambda: list(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("stream_error;after=1")
                )
            )
        )
        catch(
            lambda: list(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("malformed;after=1")
                )
            )
        )
    with ni.NebiusClient(
        api_key=key, base_url=emu.base_url, max_retries=0, stream_idle_timeout=0.05
    ) as client:
        catch(
            lambda: list(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("stream_delay;seconds=2;after=1")
                )
            )
        )
    base = f"http://127.0.0.1:{closed_port()}/v1"
    with ni.NebiusClient(api_key=key, base_url=base, max_retries=0) as client:
        catch(lambda: client.list_models())
    base = f"http://127.0.0.1:{silent_port}/v1"
    with ni.NebiusClient(api_key=key, base_url=base, max_retries=0, timeout=0.05) as client:
        catch(lambda: client.list_models())
    with ni.NebiusClient(
        api_key="nb-wrong-but-still-a-secret-key-7c1d", base_url=emu.base_url, max_retries=0
    ) as client:
        catch(lambda: client.list_models())
    return found


async def async_errors(emu: Emulator, silent_port: int) -> list[ni.NebiusError]:
    found: list[ni.NebiusError] = []

    async def catch(action: Callable[[], Any]) -> None:
        with pytest.raises(ni.NebiusError) as info:
            await action()
        found.append(info.value)

    async def drain(stream_call: Any) -> None:
        stream = await stream_call
        async for _ in stream:
            pass

    async with ni.AsyncNebiusClient(api_key=KEY, base_url=emu.base_url, max_retries=0) as client:
        for status, message, _ in STATUS_CASES:
            spec = f"error;status={status}" + (f";message={message}" if message else "")
            await catch(
                lambda spec=spec: client.create_chat_completion(  # type: ignore[misc]
                    model=MODEL, messages=MESSAGES, **fault(spec)
                )
            )
        await catch(
            lambda: client.create_chat_completion(
                model=MODEL, messages=MESSAGES, **fault("disconnect")
            )
        )
        await catch(
            lambda: drain(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("stream_cut;after=1")
                )
            )
        )
        await catch(
            lambda: drain(
                client.stream_chat_completion(
                    model=MODEL, messages=MESSAGES, **fault("stream_error;after=1")
                )
            )
        )
    base = f"http://127.0.0.1:{silent_port}/v1"
    async with ni.AsyncNebiusClient(
        api_key=KEY, base_url=base, max_retries=0, timeout=0.05
    ) as client:
        await catch(lambda: client.list_models())
    return found


def secrets_in(error: BaseException, key: str) -> list[str]:
    """Every place in ``error`` where ``key`` shows; empty when there is none."""
    places = []
    if key in repr(error):
        places.append("repr")
    if key in str(error):
        places.append("str")
    if key in "".join(traceback.format_exception(error)):
        places.append("traceback")
    pickled = pickle.dumps(error)
    if key.encode() in pickled:
        places.append("pickle")
    copy = pickle.loads(pickled)
    if key in repr(vars(copy)) or key in str(copy):
        places.append("unpickled attributes")
    cause: BaseException | None = error
    while cause is not None:
        request = getattr(cause, "_request", None) or getattr(cause, "__dict__", {}).get("request")
        if request is not None and key in repr(list(request.headers.raw)):
            places.append(f"request kept by {type(cause).__name__}")
        response = getattr(cause, "__dict__", {}).get("response")
        if response is not None and key in repr(list(response.request.headers.raw)):
            places.append(f"response.request kept by {type(cause).__name__}")
        cause = cause.__cause__ or cause.__context__
    return places


def check_unpickled(error: ni.NebiusError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error) and copy.args == error.args
    if isinstance(error, ni.APIError):
        assert isinstance(copy, ni.APIError)
        assert copy.message == error.message and copy.body == error.body
        assert error.request is not None and copy.request is not None
        assert copy.request.url == error.request.url
        assert copy.request.headers["authorization"] == "[redacted]"
    if isinstance(error, ni.APIStatusError):
        assert isinstance(copy, ni.APIStatusError)
        assert copy.status_code == error.status_code
        assert copy.response.status_code == error.response.status_code
        assert copy.request_id == error.request_id
        assert copy.retry_after == error.retry_after


def test_every_sync_error_class_keeps_the_key_out(
    emu: Emulator, silent_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        errors = sync_errors(emu, silent_port)
    expected = [cls for _, _, cls in STATUS_CASES] + [
        ni.APIResponseValidationError,
        ni.APIConnectionError,
        ni.IncompleteStreamError,
        ni.APIStreamError,
        ni.APIResponseValidationError,
        ni.StreamIdleTimeoutError,
        ni.APIConnectionError,
        ni.APITimeoutError,
        ni.AuthenticationError,
    ]
    assert [type(e) for e in errors] == expected
    for error in errors:
        assert secrets_in(error, KEY) == [], type(error).__name__
        check_unpickled(error)
    assert secrets_in(errors[-1], "nb-wrong-but-still-a-secret-key-7c1d") == []
    # The records (and their arguments) written while all this happened hold no key either.
    assert caplog.records
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.args), record.name


def test_every_async_error_class_keeps_the_key_out(emu: Emulator, silent_port: int) -> None:
    errors = asyncio.run(async_errors(emu, silent_port))
    expected = [cls for _, _, cls in STATUS_CASES] + [
        ni.APIConnectionError,
        ni.IncompleteStreamError,
        ni.APIStreamError,
        ni.APITimeoutError,
    ]
    assert [type(e) for e in errors] == expected
    for error in errors:
        assert secrets_in(error, KEY) == [], type(error).__name__
        check_unpickled(error)


def test_before_sending_errors_hold_no_key() -> None:
    with ni.NebiusClient(api_key=KEY, base_url="http://127.0.0.1:9/v1") as client:
        with pytest.raises(ni.InvalidRequestError) as info:
            client.create_chat_completion(model=MODEL, messages=[{"role": "robot"}])
    with pytest.raises(ni.ConfigurationError) as config:
        ni.NebiusClient(api_key=KEY, max_retries=-1)
    for error in (info.value, config.value):
        assert secrets_in(error, KEY) == []
        check_unpickled(error)


def test_the_original_request_keeps_its_key_for_sending() -> None:
    """Redaction copies: the request being sent (and retried) is left as it was."""
    import httpx

    request = httpx.Request(
        "GET", "https://example.test/v1/models", headers={"Authorization": f"Bearer {KEY}"}
    )
    error = ni.APIConnectionError(request=request)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert error.request is not None and error.request.headers["authorization"] == "[redacted]"


def test_langchain_twins_of_every_error_keep_the_key_out(emu: Emulator, silent_port: int) -> None:
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    import httpx
    from langchain_core.exceptions import ModelError

    import langchain_nebius
    from langchain_nebius import ChatNebius
    from langchain_nebius._errors import to_langchain_error

    sources = sync_errors(emu, silent_port)
    keyed = httpx.Request("GET", emu.base_url, headers={"Authorization": f"Bearer {KEY}"})
    sources.append(ni.APIError("Something else failed.", request=keyed))
    sources.append(ni.InvalidRequestError("messages[0] has role 'robot'"))
    twins = [to_langchain_error(error) for error in sources]
    assert all(isinstance(twin, ModelError) for twin in twins)
    for twin in twins:
        assert secrets_in(twin, KEY) == [], type(twin).__name__
        check_unpickled(twin)
    exported = {
        value
        for name in langchain_nebius.__all__
        if isinstance(value := getattr(langchain_nebius, name), type)
        and issubclass(value, ni.NebiusError)
    }
    assert exported == {type(twin) for twin in twins}, "every LangChain error class is checked"
    # And as ChatNebius raises them, chained to the core error.
    chat = ChatNebius(api_key=KEY, base_url=emu.base_url, model=MODEL, max_retries=0)
    raised = []
    for spec, name in (
        ("error;status=401", "NebiusAuthenticationError"),
        ("error;status=402", "NebiusPaymentRequiredError"),
        ("error;status=429", "NebiusRateLimitError"),
        ("disconnect", "NebiusConnectionError"),
    ):
        with pytest.raises(ModelError) as info:
            chat.invoke("hello", **fault(spec))
        assert type(info.value).__name__ == name
        raised.append(info.value)
    for error in raised:
        assert isinstance(error.__cause__, ni.NebiusError)
        assert secrets_in(error, KEY) == [], type(error).__name__
        check_unpickled(error)  # type: ignore[arg-type]


def test_count_of_error_classes_checked(emu: Emulator, silent_port: int) -> None:
    """Every concrete error class the core exports is among those checked above."""
    checked = {type(e) for e in sync_errors(emu, silent_port)}
    checked |= {ni.InvalidRequestError, ni.ConfigurationError}
    exported = {
        value
        for name in ni.__all__
        if isinstance(value := getattr(ni, name), type) and issubclass(value, ni.NebiusError)
    }
    abstract = {ni.NebiusError, ni.APIError}
    assert exported - abstract <= checked, sorted(c.__name__ for c in exported - checked)
