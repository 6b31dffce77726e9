"""Files and batches through the OpenAI SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import openai
import pytest

from nebius_inference.testing import Emulator, EmulatorConfig

CHAT = "Qwen/Qwen3-30B-A3B-Instruct-2507"
CHAT_URL: Final = "/v1/chat/completions"


def chat_line(custom_id: str, text: str, model: str = CHAT) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": CHAT_URL,
        "body": {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 20},
    }


def jsonl(lines: list[Any]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def upload(client: openai.OpenAI, lines: list[Any], name: str = "batch.jsonl") -> str:
    return client.files.create(file=(name, jsonl(lines)), purpose="batch").id


def poll(client: openai.OpenAI, batch_id: str, limit: int = 10) -> list[str]:
    statuses = []
    for _ in range(limit):
        status = str(client.batches.retrieve(batch_id).status)
        statuses.append(status)
        if status in ("done", "completed", "failed", "expired", "cancelled"):
            break
    return statuses


def read_lines(client: openai.OpenAI, file_id: str) -> list[str]:
    return client.files.content(file_id).text.splitlines()


@pytest.fixture
def openai_style() -> Iterator[tuple[Emulator, openai.OpenAI]]:
    config = EmulatorConfig(batch_statuses="openai", batch_output_format="openai")
    with (
        Emulator(config) as emu,
        openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as client,
    ):
        yield emu, client


# -- files ------------------------------------------------------------------------------------


def test_file_life_cycle(client: openai.OpenAI) -> None:
    data = b'{"hello": "world"}\n'
    created = client.files.create(file=("data.jsonl", data), purpose="fine-tune")
    assert created.id.startswith("file-")
    assert (created.object, created.bytes, created.filename, created.purpose) == (
        "file",
        len(data),
        "data.jsonl",
        "fine-tune",
    )
    assert created.status == "processed"
    assert client.files.retrieve(created.id).filename == "data.jsonl"
    assert client.files.content(created.id).read() == data
    listed = client.files.list(purpose="fine-tune")
    assert created.id in [item.id for item in listed.data]
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(created.id)


def test_file_list_limit_and_purpose_filter(client: openai.OpenAI, emu: Emulator) -> None:
    emu.reset(storage=True)
    ids = [client.files.create(file=(f"f{i}.jsonl", b"{}\n"), purpose="batch").id for i in range(3)]
    client.files.create(file=("tune.jsonl", b"{}\n"), purpose="fine-tune")
    page = client.get(
        "/files", options={"params": {"limit": 2, "purpose": "batch"}}, cast_to=object
    )
    assert isinstance(page, dict)
    assert [item["id"] for item in page["data"]] == ids[::-1][:2]
    assert page["object"] == "list" and page["has_more"] is True


def test_file_upload_validation(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.files.create(file=("x.jsonl", b"{}"), purpose="assistants")


# -- batches --------------------------------------------------------------------------------


def test_batch_full_life(client: openai.OpenAI) -> None:
    lines = [chat_line(f"req-{i}", f"Question number {i} about rivers") for i in range(5)]
    lines.append(
        {"custom_id": "bad-body", "method": "POST", "url": CHAT_URL, "body": {"model": CHAT}}
    )
    file_id = upload(client, lines)
    batch = client.batches.create(
        input_file_id=file_id,
        endpoint=CHAT_URL,
        completion_window="24h",
        metadata={"description": "nightly"},
    )
    assert batch.id.startswith("batch_")
    assert (batch.status, batch.endpoint, batch.completion_window) == (
        "validating",
        CHAT_URL,
        "24h",
    )
    assert batch.metadata == {"description": "nightly"}
    assert poll(client, batch.id) == ["running", "done"]
    done = client.batches.retrieve(batch.id)
    assert done.request_counts is not None
    assert (
        done.request_counts.total,
        done.request_counts.completed,
        done.request_counts.failed,
    ) == (6, 5, 1)
    assert done.in_progress_at and done.completed_at and done.output_file_id and done.error_file_id
    output = [json.loads(line) for line in read_lines(client, done.output_file_id)]
    assert sorted(item["custom_id"] for item in output) == [f"req-{i}" for i in range(5)]
    assert [item["custom_id"] for item in output] != [f"req-{i}" for i in range(5)]
    for item in output:
        assert item["id"].startswith("batch_req_") and item["error"] is None
        assert item["response"]["object"] == "chat.completion"
        assert item["response"]["choices"][0]["message"]["content"]
    errors = [json.loads(line) for line in read_lines(client, done.error_file_id)]
    assert [item["custom_id"] for item in errors] == ["bad-body"]
    assert errors[0]["response"] is None and errors[0]["error"]["message"]


def test_batch_matches_the_online_endpoint(client: openai.OpenAI) -> None:
    line = chat_line("only", "Tell me about glaciers")
    batch = client.batches.create(
        input_file_id=upload(client, [line]), endpoint=CHAT_URL, completion_window="24h"
    )
    poll(client, batch.id)
    output_id = client.batches.retrieve(batch.id).output_file_id
    assert output_id is not None
    offline = json.loads(read_lines(client, output_id)[0])["response"]
    online = client.chat.completions.create(**line["body"])
    assert offline["choices"][0]["message"]["content"] == online.choices[0].message.content


def test_batch_embeddings(client: openai.OpenAI) -> None:
    lines = [
        {"custom_id": f"e{i}", "method": "POST", "url": "/v1/embeddings",
         "body": {"model": "Qwen/Qwen3-Embedding-8B", "input": f"text {i}"}}
        for i in range(3)
    ]  # fmt: skip
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/embeddings", completion_window="24h"
    )
    assert poll(client, batch.id)[-1] == "done"
    output_id = client.batches.retrieve(batch.id).output_file_id
    assert output_id is not None
    output = [json.loads(line) for line in read_lines(client, output_id)]
    assert all(len(item["response"]["data"][0]["embedding"]) == 4096 for item in output)


def test_batch_override_settings(client: openai.OpenAI) -> None:
    line = chat_line("o", "Describe the moon in detail")
    batch = client.batches.create(
        input_file_id=upload(client, [line]),
        endpoint=CHAT_URL,
        completion_window="24h",
        extra_body={"override_settings": {"max_tokens": 3}},
    )
    poll(client, batch.id)
    output_id = client.batches.retrieve(batch.id).output_file_id
    assert output_id is not None
    response = json.loads(read_lines(client, output_id)[0])["response"]
    assert response["usage"]["completion_tokens"] == 3


def test_batch_cancel(client: openai.OpenAI) -> None:
    batch = client.batches.create(
        input_file_id=upload(client, [chat_line("a", "x")]),
        endpoint=CHAT_URL,
        completion_window="24h",
    )
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    assert client.batches.retrieve(batch.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(batch.id)


def test_batch_list_paging(client: openai.OpenAI, emu: Emulator) -> None:
    emu.reset(storage=True)
    file_id = upload(client, [chat_line("a", "x")])
    ids = [
        client.batches.create(input_file_id=file_id, endpoint=CHAT_URL, completion_window="24h").id
        for _ in range(3)
    ]
    first = client.batches.list(limit=2)
    assert [item.id for item in first.data] == [ids[2], ids[1]]
    assert first.has_more is True
    rest = client.batches.list(limit=2, after=ids[1])
    assert [item.id for item in rest.data] == [ids[0]] and rest.has_more is False
    assert [item.id for item in client.batches.list()] == ids[::-1]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"completion_window": "48h"}, openai.UnprocessableEntityError),
        ({"endpoint": "/v1/completions"}, openai.UnprocessableEntityError),
        ({"input_file_id": "file-missing"}, openai.NotFoundError),
    ],
)
def test_batch_create_validation(
    client: openai.OpenAI, changes: dict[str, Any], error: type[Exception]
) -> None:
    params: dict[str, Any] = {
        "input_file_id": upload(client, [chat_line("a", "x")]),
        "endpoint": CHAT_URL,
        "completion_window": "24h",
        **changes,
    }
    with pytest.raises(error):
        client.batches.create(**params)


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        (
            [chat_line("a", "x"), chat_line("b", "y", model="Qwen/Qwen3-235B-A22B-Instruct-2507")],
            "same model",
        ),
        ([{**chat_line("a", "x"), "url": "/v1/completions"}], "url must be one of"),
        ([{**chat_line("a", "x"), "url": "/v1/embeddings"}], "does not match"),
    ],
)
def test_batch_file_rejected_at_creation(
    client: openai.OpenAI, lines: list[Any], fragment: str
) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.batches.create(
            input_file_id=upload(client, lines), endpoint=CHAT_URL, completion_window="24h"
        )
    assert fragment in excinfo.value.response.json()["detail"]


def test_invalid_lines_fail_the_batch(client: openai.OpenAI) -> None:
    file_id = client.files.create(
        file=("bad.jsonl", jsonl([chat_line("a", "x")]) + b"not json\n"), purpose="batch"
    ).id
    batch = client.batches.create(input_file_id=file_id, endpoint=CHAT_URL, completion_window="24h")
    assert poll(client, batch.id) == ["failed"]
    failed = client.batches.retrieve(batch.id)
    assert failed.errors is not None and failed.errors.data
    assert failed.errors.data[0].line == 2 and failed.failed_at


def test_batch_limits() -> None:
    config = EmulatorConfig(max_batches=1, max_batch_requests=2, max_batch_file_bytes=10_000)
    with (
        Emulator(config) as emu,
        openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key) as client,
    ):
        too_many = upload(client, [chat_line(str(i), "x") for i in range(3)])
        with pytest.raises(openai.BadRequestError):
            client.batches.create(
                input_file_id=too_many, endpoint=CHAT_URL, completion_window="24h"
            )
        too_big = upload(client, [chat_line("big", "x" * 20_000)])
        with pytest.raises(openai.BadRequestError):
            client.batches.create(input_file_id=too_big, endpoint=CHAT_URL, completion_window="24h")
        ok = upload(client, [chat_line("a", "x")])
        client.batches.create(input_file_id=ok, endpoint=CHAT_URL, completion_window="24h")
        with pytest.raises(openai.BadRequestError) as excinfo:
            client.batches.create(input_file_id=ok, endpoint=CHAT_URL, completion_window="24h")
        assert "active batches" in excinfo.value.response.json()["detail"]


def test_openai_vocabulary_and_line_shape(openai_style: tuple[Emulator, openai.OpenAI]) -> None:
    _, client = openai_style
    batch = client.batches.create(
        input_file_id=upload(client, [chat_line("a", "x"), chat_line("b", "y")]),
        endpoint=CHAT_URL,
        completion_window="24h",
    )
    assert poll(client, batch.id) == ["in_progress", "finalizing", "completed"]
    done = client.batches.retrieve(batch.id)
    assert done.output_file_id is not None and done.error_file_id is None
    output = [json.loads(line) for line in read_lines(client, done.output_file_id)]
    assert {item["custom_id"] for item in output} == {"a", "b"}
    for item in output:
        assert item["response"]["status_code"] == 200
        assert item["response"]["body"]["object"] == "chat.completion"


def test_lost_and_broken_output_lines(client: openai.OpenAI) -> None:
    lines = [chat_line(str(i), f"q {i}") for i in range(4)]
    dropped = client.batches.create(
        input_file_id=upload(client, lines),
        endpoint=CHAT_URL,
        completion_window="24h",
        extra_headers={"x-emulator-fault": "batch_drop_output;lines=1"},
    )
    poll(client, dropped.id)
    finished = client.batches.retrieve(dropped.id)
    assert finished.request_counts is not None and finished.request_counts.completed == 4
    assert finished.output_file_id is not None
    assert len(read_lines(client, finished.output_file_id)) == 3
    broken = client.batches.create(
        input_file_id=upload(client, lines),
        endpoint=CHAT_URL,
        completion_window="24h",
        extra_headers={"x-emulator-fault": "batch_malformed_output;lines=2"},
    )
    poll(client, broken.id)
    output_id = client.batches.retrieve(broken.id).output_file_id
    assert output_id is not None
    parsed = 0
    for line in read_lines(client, output_id):
        try:
            json.loads(line)
            parsed += 1
        except json.JSONDecodeError:
            pass
    assert parsed == 2


def test_forced_expiry_keeps_partial_output(client: openai.OpenAI, emu: Emulator) -> None:
    emu.inject("batch_expire")
    lines = [chat_line(str(i), f"q {i}") for i in range(4)]
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint=CHAT_URL, completion_window="24h"
    )
    assert poll(client, batch.id) == ["running", "expired"]
    expired = client.batches.retrieve(batch.id)
    assert expired.expired_at and expired.output_file_id
    assert len(read_lines(client, expired.output_file_id)) == 2


def test_forced_failure(client: openai.OpenAI) -> None:
    batch = client.batches.create(
        input_file_id=upload(client, [chat_line("a", "x")]),
        endpoint=CHAT_URL,
        completion_window="24h",
        extra_headers={"x-emulator-fault": "batch_fail"},
    )
    assert poll(client, batch.id) == ["failed"]


def test_manual_and_stepwise_progress() -> None:
    config = EmulatorConfig(batch_advance="manual", batch_lines_per_step=2)
    with (
        Emulator(config) as emu,
        openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key) as client,
    ):
        lines = [chat_line(str(i), f"q {i}") for i in range(5)]
        batch = client.batches.create(
            input_file_id=upload(client, lines), endpoint=CHAT_URL, completion_window="24h"
        )
        assert str(client.batches.retrieve(batch.id).status) == "validating"
        emu.advance_batches()
        counts = []
        for _ in range(3):
            emu.advance_batches(batch_id=batch.id)
            current = client.batches.retrieve(batch.id)
            assert current.request_counts is not None
            counts.append((str(current.status), current.request_counts.completed))
        assert counts == [("running", 2), ("running", 4), ("done", 5)]
        other = client.batches.create(
            input_file_id=upload(client, lines), endpoint=CHAT_URL, completion_window="24h"
        )
        emu.finish_batches()
        assert str(client.batches.retrieve(other.id).status) == "done"


def test_time_based_progress_finishes_at_first_look() -> None:
    config = EmulatorConfig(batch_advance="time", batch_step_seconds=0)
    with (
        Emulator(config) as emu,
        openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key) as client,
    ):
        batch = client.batches.create(
            input_file_id=upload(client, [chat_line("a", "x")]),
            endpoint=CHAT_URL,
            completion_window="24h",
        )
        assert [str(item.status) for item in client.batches.list().data] == ["done"]
        assert str(client.batches.retrieve(batch.id).status) == "done"
