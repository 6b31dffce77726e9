"""Errors over real sockets say what to do: a budget used up (402), a base URL without ``/v1``, an
unknown model, a wrong key, and a ``Retry-After`` longer than the client waits, from the emulator
and from a raw socket server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import openai
import pytest

import nebius_inference as ni
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-30B-A3B-Instruct-2507"
MESSAGES = [{"role": "user", "content": "hi"}]


def _chat_attempts(emu: Emulator) -> int:
    return sum(1 for r in emu.request_log if r.path == "/v1/chat/completions")


def test_a_used_up_budget_is_a_payment_required_error_and_not_retried(emu: Emulator) -> None:
    with ni.NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=3) as client:
        with pytest.raises(ni.PaymentRequiredError, match="top it up") as info:
            client.create_chat_completion(
                model=CHAT,
                messages=MESSAGES,
                extra_headers={"x-emulator-fault": "payment_required;times=*"},
            )
    assert info.value.status_code == 402 and "Insufficient balance" in str(info.value)
    assert _chat_attempts(emu) == 1


def test_the_payment_required_fault_reads_as_402_to_the_openai_sdk(emu: Emulator) -> None:
    sdk = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    with sdk, pytest.raises(openai.APIStatusError) as info:
        sdk.chat.completions.create(
            model=CHAT,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-emulator-fault": "payment_required;message=Budget%20exhausted"},
        )
    assert info.value.status_code == 402
    assert info.value.response.json() == {"detail": "Budget exhausted"}


def test_a_base_url_without_v1_gets_a_hint_that_says_so(emu: Emulator) -> None:
    with ni.NebiusClient(api_key=emu.api_key, base_url=emu.url, max_retries=0) as client:
        with pytest.raises(ni.NotFoundError, match="lack its /v1 path segment"):
            client.create_chat_completion(model=CHAT, messages=MESSAGES)
    with ni.NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        with pytest.raises(ni.NotFoundError, match="Check the model id") as info:
            client.create_chat_completion(model="meta-llama/no-such-model", messages=MESSAGES)
    assert "/v1 path segment" not in str(info.value)


def test_a_wrong_key_is_an_authentication_error_with_its_hint(emu: Emulator) -> None:
    with ni.NebiusClient(api_key="nb-not-the-key", base_url=emu.base_url) as client:
        with pytest.raises(ni.AuthenticationError, match="Check NEBIUS_API_KEY"):
            client.list_models()


def test_a_long_retry_after_from_the_emulator_is_raised_at_once(emu: Emulator) -> None:
    with ni.NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=4) as client:
        with pytest.raises(ni.RateLimitError, match="wait 3600 s") as info:
            client.create_chat_completion(
                model=CHAT,
                messages=MESSAGES,
                extra_headers={"x-emulator-fault": "rate_limit;retry_after=3600;times=*"},
            )
    assert info.value.retry_after == 3600.0 and _chat_attempts(emu) == 1


@pytest.fixture
def raw_429_server() -> Iterator[tuple[str, list[bytes]]]:
    """A bare socket server (no HTTP library) that answers every request with 429 and
    ``Retry-After: 3600``, recording the requests it gets."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    seen: list[bytes] = []
    stop = threading.Event()
    body = b'{"error": {"message": "Too many requests", "type": "rate_limit"}}'
    reply = (
        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
        b"Retry-After: 3600\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                buffer = b""
                while not stop.is_set():
                    head, sep, rest = buffer.partition(b"\r\n\r\n")
                    if sep:
                        length = 0
                        for line in head.split(b"\r\n")[1:]:
                            name, _, value = line.partition(b":")
                            if name.strip().lower() == b"content-length":
                                length = int(value)
                        if len(rest) >= length:  # one whole request: answer it
                            seen.append(head + sep + rest[:length])
                            buffer = rest[length:]
                            conn.sendall(reply)
                            continue
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        break
                    if not data:
                        break
                    buffer += data

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1", seen
    stop.set()
    thread.join()
    server.close()


def test_a_long_retry_after_from_a_raw_server_is_raised_at_once(
    raw_429_server: tuple[str, list[bytes]],
) -> None:
    base_url, seen = raw_429_server
    with ni.NebiusClient(api_key="nb-k", base_url=base_url, max_retries=4) as client:
        with pytest.raises(ni.RateLimitError, match="wait 3600 s") as info:
            client.create_chat_completion(model=CHAT, messages=MESSAGES)
    assert info.value.retry_after == 3600.0
    assert len(seen) == 1
