"""The core's keyword arguments are typed from the request models: the TypedDicts cannot drift
from the models, a misspelt field is a mypy error, and unknown fields still pass through."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from fakes import FakeAPI, Handler, endpoint_reply
from pydantic import BaseModel

from nebius_inference.types import (
    ChatCompletionRequest,
    ChatParams,
    CompletionParams,
    CompletionRequest,
    EmbeddingParams,
    EmbeddingRequest,
    ImageGenerationParams,
    ImageGenerationRequest,
    RerankParams,
    RerankRequest,
)

ROOT = Path(__file__).resolve().parents[2]

PAIRS: list[tuple[type[Any], type[BaseModel]]] = [
    (ChatParams, ChatCompletionRequest),
    (CompletionParams, CompletionRequest),
    (EmbeddingParams, EmbeddingRequest),
    (ImageGenerationParams, ImageGenerationRequest),
    (RerankParams, RerankRequest),
]


@pytest.mark.parametrize(("params", "model"), PAIRS, ids=lambda c: c.__name__)
def test_typed_dict_keys_are_the_model_fields(params: type[Any], model: type[BaseModel]) -> None:
    assert set(get_type_hints(params)) == set(model.model_fields)
    assert params.__required_keys__ == frozenset()  # a request object may supply any of them


def test_unknown_keywords_still_pass_through_at_run_time(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    server = recorder(endpoint_reply)
    client = server.sync_client()
    extra: dict[str, Any] = {"guided_choice": ["a", "b"], "min_p": 0.1}
    client.create_chat_completion(
        model="m", messages=[{"role": "user", "content": "x"}], top_k=5, **extra
    )
    assert server.body()["top_k"] == 5
    assert server.body()["guided_choice"] == ["a", "b"] and server.body()["min_p"] == 0.1
    client.create_chat_completion(
        model="m", messages=[{"role": "user", "content": "x"}], extra_body={"guided_regex": "a+"}
    )
    assert server.body()["guided_regex"] == "a+"


SNIPPET = """
from typing import Any
from array import array

import numpy as np
from numpy.typing import NDArray

from nebius_inference import NebiusClient, AsyncNebiusClient

client = NebiusClient(api_key="k")
messages: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
client.create_chat_completion(model="m", messages=messages, temperature=0.5, top_k=40)
client.create_chat_completion(model="m", messages=messages, extra_body={"guided_json": {}})
client.create_chat_completion(model="m", messages=messages, temprature=0.5)  # ERROR typo
client.create_chat_completion(model="m", messages=messages, temperature="hot")  # ERROR type
client.stream_chat_completion(model="m", messages=messages, max_token=5)  # ERROR typo
client.create_completion(model="m", prompt="p", echo=True, timeout=3.0)
client.create_completion(model="m", prompt="p", ecko=True)  # ERROR typo
client.create_embeddings(model="e", input=["a"], dimensions=64)
client.create_embeddings(model="e", input=["a"], dimension=64)  # ERROR typo
client.generate_images(model="i", prompt="p", width=512, response_format="b64_json")
client.generate_images(model="i", prompt="p", witdh=512)  # ERROR typo
client.rerank(model="r", query="q", documents=["d"], top_n=1)
client.rerank(model="r", query="q", documents=["d"], topn=1)  # ERROR typo
vectors: list[list[float]] = client.embed(["a"], model="e", dimensions=64)
arrays: list[array[float]] = client.embed(["a"], model="e", output="array")
block: NDArray[np.float32] = client.embed(["a"], model="e", output="numpy")
client.embed(["a"], model="e", dimensons=64)  # ERROR typo
for start, part in client.iter_embeddings(["a"], model="e", output="array", chunk_size=100):
    first: array[float] = part[0]


async def main(aclient: AsyncNebiusClient) -> None:
    await aclient.create_chat_completion(model="m", messages=messages, top_p=0.9)
    await aclient.create_chat_completion(model="m", messages=messages, top_pp=0.9)  # ERROR typo
    async for start, rows in aclient.iter_embeddings(["a"], model="e", output="numpy"):
        row: NDArray[np.float32] = rows
"""


def test_a_misspelt_field_is_a_mypy_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is a dev dependency")
    pytest.importorskip("numpy", reason="the snippet also checks output='numpy'")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    # Check against this checkout's package, whatever is installed.
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    out, err, _status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--config-file",
            os.devnull,
            str(snippet),
        ]
    )
    lines = SNIPPET.splitlines()
    expected = {i for i, line in enumerate(lines) if line.endswith("# ERROR typo")}
    expected |= {i for i, line in enumerate(lines) if line.endswith("# ERROR type")}
    errors = [line for line in out.splitlines() if ": error:" in line]
    flagged = {int(line.split(":")[1]) - 1 for line in errors}
    assert flagged == expected, out + err
    assert any('"temprature"' in line for line in errors), out
