"""Error shapes, common headers and faults on demand."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest

from nebius_inference.testing import Emulator, EmulatorConfig, Fault

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
MESSAGES: Any = [{"role": "user", "content": "Hello"}]
RATE_HEADERS = [
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
]


def post_chat(emu: Emulator, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{emu.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {emu.api_key}", **(headers or {})},
        timeout=5,
    )


# -- errors --------------------------------------------------------------------------------------


def test_missing_and_wrong_key_are_401(emu: Emulator) -> None:
    missing = httpx.get(f"{emu.base_url}/models")
    assert missing.status_code == 401 and isinstance(missing.json()["detail"], str)
    with openai.OpenAI(base_url=emu.base_url, api_key="wrong", max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError) as excinfo:
            client.models.list()
    assert excinfo.value.response.json() == {"detail": "Invalid API key"}


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as excinfo:
        client.chat.completions.create(model="no/such-model", messages=MESSAGES)
    assert excinfo.value.response.json() == {"detail": "Model no/such-model not found"}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"model": CHAT}, ["body", "messages"]),
        ({"model": CHAT, "messages": []}, ["body", "messages"]),
        (
            {"model": CHAT, "messages": [{"role": "developer", "content": "x"}]},
            ["body", "messages", 0],
        ),
        ({"model": CHAT, "messages": MESSAGES, "temperature": 2.5}, ["body", "temperature"]),
        ({"model": CHAT, "messages": MESSAGES, "n": 0}, ["body", "n"]),
        ({"model": CHAT, "messages": MESSAGES, "max_tokens": "many"}, ["body", "max_tokens"]),
        (
            {"model": CHAT, "messages": [{"role": "tool", "content": "1"}]},
            ["body", "messages", 0, "tool", "tool_call_id"],
        ),
    ],
)
def test_validation_errors_are_fastapi_422(emu: Emulator, body: Any, loc: list[Any]) -> None:
    response = post_chat(emu, body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert detail[0]["loc"] == loc
    assert isinstance(detail[0]["msg"], str) and isinstance(detail[0]["type"], str)


def test_invalid_json_is_422(emu: Emulator) -> None:
    response = httpx.post(
        f"{emu.base_url}/chat/completions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_unknown_route_and_method(emu: Emulator) -> None:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    assert httpx.get(f"{emu.base_url}/nothing", headers=headers).json() == {"detail": "Not Found"}
    wrong_method = httpx.get(f"{emu.base_url}/chat/completions", headers=headers)
    assert wrong_method.status_code == 405


def test_context_length_is_enforced(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=10_000_000)
    assert "maximum context length" in excinfo.value.response.json()["detail"]


def test_common_headers_on_every_reply(emu: Emulator) -> None:
    ok = post_chat(emu, {"model": CHAT, "messages": MESSAGES}, {"x-test": "1"})
    bad = post_chat(emu, {"model": CHAT})
    denied = httpx.get(f"{emu.base_url}/models")
    for response in (ok, bad, denied):
        for name in RATE_HEADERS:
            assert name in response.headers, (response.status_code, name)
        assert response.headers["x-request-id"]
    assert ok.headers["x-request-id"] != bad.headers["x-request-id"]
    assert emu.request_log[0].request_id == ok.headers["x-request-id"]


def test_ai_project_id_is_accepted(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=MESSAGES, extra_query={"ai_project_id": "project-123"}
    )
    assert reply.choices[0].message.content
    assert client.models.list(extra_query={"ai_project_id": "project-123"}).data


# -- faults ------------------------------------------------------------------------------------


def test_rate_limit_then_success_with_sdk_retries(emu: Emulator) -> None:
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=3) as client:
        reply = client.chat.completions.create(
            model=CHAT,
            messages=MESSAGES,
            extra_headers={"x-emulator-fault": "rate_limit;times=2;retry_after=0.01"},
        )
    assert reply.choices[0].message.content
    assert len(emu.requests("/v1/chat/completions")) == 3


def test_rate_limit_reply_shape(emu: Emulator) -> None:
    response = post_chat(
        emu, {"model": CHAT, "messages": MESSAGES}, {"x-emulator-fault": "rate_limit;retry_after=7"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_then_success(emu: Emulator, status: int) -> None:
    emu.inject(
        Fault("error", status=status, times=2, retry_after=0.01, path="/v1/chat/completions")
    )
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=2) as client:
        reply = client.chat.completions.create(model=CHAT, messages=MESSAGES)
    assert reply.choices[0].message.content
    assert len(emu.requests("/v1/chat/completions")) == 3
    assert emu.pending_faults == []


def test_server_error_without_retries(client: openai.OpenAI, emu: Emulator) -> None:
    emu.inject("error;status=503")
    with pytest.raises(openai.InternalServerError) as excinfo:
        client.chat.completions.create(model=CHAT, messages=MESSAGES)
    assert excinfo.value.status_code == 503


def test_dropped_connection(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(
            model=CHAT, messages=MESSAGES, extra_headers={"x-emulator-fault": "disconnect"}
        )
    assert client.chat.completions.create(model=CHAT, messages=MESSAGES).choices


def test_stream_cut(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=CHAT,
        messages=MESSAGES,
        stream=True,
        extra_headers={"x-emulator-fault": "stream_cut;after=3"},
    )
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3


def test_stream_cut_raw_has_no_done(emu: Emulator) -> None:
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            f"{emu.base_url}/chat/completions",
            json={"model": CHAT, "messages": MESSAGES, "stream": True},
            headers={
                "Authorization": f"Bearer {emu.api_key}",
                "x-emulator-fault": "stream_cut;after=2",
            },
        ) as response,
    ):
        lines = []
        for line in response.iter_lines():
            lines.append(line)
    assert "data: [DONE]" not in lines


def test_stream_error_event(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=CHAT,
        messages=MESSAGES,
        stream=True,
        extra_headers={"x-emulator-fault": "stream_error;after=2;message=backend%20overloaded"},
    )
    with pytest.raises(openai.APIError) as excinfo:
        list(stream)
    assert "backend overloaded" in str(excinfo.value)


def test_malformed_body(client: openai.OpenAI, emu: Emulator) -> None:
    raw = post_chat(emu, {"model": CHAT, "messages": MESSAGES}, {"x-emulator-fault": "malformed"})
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        raw.json()
    with pytest.raises(ValueError):
        client.chat.completions.create(
            model=CHAT, messages=MESSAGES, extra_headers={"x-emulator-fault": "malformed;key=sdk"}
        )


def test_slow_reply_hits_the_client_timeout(emu: Emulator) -> None:
    with (
        openai.OpenAI(
            base_url=emu.base_url, api_key=emu.api_key, max_retries=0, timeout=0.1
        ) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        client.chat.completions.create(
            model=CHAT, messages=MESSAGES, extra_headers={"x-emulator-fault": "delay;seconds=0.5"}
        )


def test_slow_stream_spaces_events(emu: Emulator) -> None:
    started = time.monotonic()
    with httpx.stream(
        "POST",
        f"{emu.base_url}/chat/completions",
        json={"model": CHAT, "messages": MESSAGES, "stream": True, "max_tokens": 2},
        headers={
            "Authorization": f"Bearer {emu.api_key}",
            "x-emulator-fault": "stream_delay;seconds=0.05;after=1",
        },
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert time.monotonic() - started >= 0.05 * (len(lines) - 1)


def test_slow_stream_trips_a_read_timeout(emu: Emulator) -> None:
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.stream(
            "POST",
            f"{emu.base_url}/chat/completions",
            json={"model": CHAT, "messages": MESSAGES, "stream": True},
            headers={
                "Authorization": f"Bearer {emu.api_key}",
                "x-emulator-fault": "stream_delay;seconds=0.3;after=2",
            },
            timeout=httpx.Timeout(5, read=0.1),
        ) as response,
    ):
        for _ in response.iter_lines():
            pass


def test_fault_keys_isolate_counters(emu: Emulator) -> None:
    body = {"model": CHAT, "messages": MESSAGES}
    fault = {"x-emulator-fault": "error;status=500;times=1"}
    assert post_chat(emu, body, {**fault, "x-emulator-fault-key": "a"}).status_code == 500
    assert post_chat(emu, body, {**fault, "x-emulator-fault-key": "b"}).status_code == 500
    assert post_chat(emu, body, {**fault, "x-emulator-fault-key": "a"}).status_code == 200


def test_bad_fault_header_is_400(emu: Emulator) -> None:
    response = post_chat(
        emu, {"model": CHAT, "messages": MESSAGES}, {"x-emulator-fault": "explode"}
    )
    assert response.status_code == 400
    assert "x-emulator-fault" in response.json()["detail"]


def test_reset_clears_faults_and_log(emu: Emulator) -> None:
    emu.inject(Fault("error", times=-1))
    assert post_chat(emu, {"model": CHAT, "messages": MESSAGES}).status_code == 500
    emu.reset()
    assert emu.request_log == [] and emu.pending_faults == []
    assert post_chat(emu, {"model": CHAT, "messages": MESSAGES}).status_code == 200


def test_stream_options_need_stream(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=CHAT, messages=MESSAGES, stream_options={"include_usage": True}
        )


def test_malformed_stream_event(emu: Emulator) -> None:
    with httpx.stream(
        "POST",
        f"{emu.base_url}/chat/completions",
        json={"model": CHAT, "messages": MESSAGES, "stream": True, "max_tokens": 3},
        headers={"Authorization": f"Bearer {emu.api_key}", "x-emulator-fault": "malformed;after=2"},
    ) as response:
        payloads = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]"
    broken = []
    for payload in payloads[:-1]:
        try:
            json.loads(payload)
        except json.JSONDecodeError:
            broken.append(payload)
    assert len(broken) == 1 and payloads.index(broken[0]) == 2


def test_faults_armed_by_config() -> None:
    config = EmulatorConfig(faults=[Fault("error", status=502, times=1, path="/v1/models")])
    with Emulator(config) as emu:
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        assert httpx.get(f"{emu.base_url}/models", headers=headers).status_code == 502
        assert httpx.get(f"{emu.base_url}/models", headers=headers).status_code == 200


def test_lost_reply_still_does_the_work(client: openai.OpenAI, emu: Emulator) -> None:
    with pytest.raises(openai.APIConnectionError):
        client.files.create(
            file=("lost.jsonl", b"{}\n"),
            purpose="batch",
            extra_headers={"x-emulator-fault": "lost_reply"},
        )
    assert "lost.jsonl" in [item.filename for item in client.files.list(limit=100).data]
