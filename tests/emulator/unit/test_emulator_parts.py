"""Images, multipart parsing, prompt hints and models."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from nebius_inference.testing import ModelSpec, default_models
from nebius_inference.testing._errors import EmulatorError
from nebius_inference.testing._files import parse_multipart
from nebius_inference.testing._hints import Hints
from nebius_inference.testing._images import render_image
from nebius_inference.testing._models import ModelTable


@pytest.mark.parametrize(
    ("extension", "pil_format"), [("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP")]
)
def test_rendered_images_decode(extension: str, pil_format: str) -> None:
    data = render_image("a red fox", 7, 96, 64, extension)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == pil_format
        assert image.size == (96, 64)


def test_rendering_is_deterministic_and_prompt_dependent() -> None:
    assert render_image("x", 1, 64, 64, "png") == render_image("x", 1, 64, 64, "png")
    assert render_image("x", 1, 64, 64, "png") != render_image("y", 1, 64, 64, "png")


def test_multipart() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="purpose"\r\n\r\n'
        b"batch\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        b"line1\r\nline2\n\r\n"
        b"--XyZ--\r\n"
    )
    parts = parse_multipart('multipart/form-data; boundary="XyZ"', body)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("purpose", None, b"batch"),
        ("file", "in.jsonl", b"line1\r\nline2\n"),
    ]
    with pytest.raises(EmulatorError):
        parse_multipart("application/json", b"{}")


def test_hints() -> None:
    hints = Hints('What is the weather in San Francisco? Use unit "celsius". count is 4')
    assert hints.place() == "San Francisco"
    assert hints.keyed("unit") == "celsius"
    assert hints.number_for("count") == 4
    assert hints.mentioned(["fahrenheit", "celsius"]) == "celsius"
    assert Hints("weather in paris").string_for("city") == "paris"
    assert (
        Hints("search for cheap flights to Rome").string_for("query") == "search cheap flights Rome"
    )
    assert Hints("flag is yes").bool_for("flag") is True


def test_model_table() -> None:
    table = ModelTable(default_models())
    ids = [spec.id for spec in table.all()]
    assert len(ids) == len(set(ids))
    assert (
        table.require("Qwen/Qwen3-Embedding-8B", "embedding", "/v1/embeddings").dimensions == 4096
    )
    with pytest.raises(EmulatorError) as missing:
        table.require("no/such-model", "chat", "/v1/chat/completions")
    assert missing.value.status == 404
    assert missing.value.detail == "Model no/such-model not found"
    with pytest.raises(EmulatorError) as wrong:
        table.require("Qwen/Qwen3-Embedding-8B", "chat", "/v1/chat/completions")
    assert wrong.value.status == 400
    thinking = table.get("Qwen/Qwen3-235B-A22B-Thinking-2507")
    assert thinking is not None and "reasoning" in thinking.supported_features


def test_verbose_model_entry() -> None:
    entry = ModelSpec("x/y", tools=True).verbose()
    assert entry["pricing"]["prompt"] == "0.00000013"
    assert isinstance(entry["pricing"]["completion"], str)
    assert entry["supported_features"] == ["tools", "json_mode"]
