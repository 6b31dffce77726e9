"""Unit tests (the scripted fake, on both send routes) for the error twins, the schema checker,
``NebiusLLM``, ``NebiusEmbeddings``, ``NebiusRerank`` and ``NebiusImageGenerationTool``."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.tools import BaseTool

import langchain_nebius
import nebius_inference as ni
from langchain_nebius import NebiusEmbeddings, NebiusImageGenerationTool, NebiusLLM, NebiusRerank
from langchain_nebius._errors import to_langchain_error, translate_errors
from langchain_nebius._structured import check_json_schema

# --- errors ------------------------------------------------------------------------------------


def _status_error(cls: type[ni.APIStatusError], status: int) -> ni.APIStatusError:
    request = httpx.Request("POST", "https://x/v1/chat/completions")
    response = httpx.Response(status, request=request, json={"detail": "nope"})
    return cls("Error code: nope", response=response, body={"detail": "nope"})


@pytest.mark.parametrize(
    ("error", "family"),
    [
        (_status_error(ni.AuthenticationError, 401), ModelAuthenticationError),
        (_status_error(ni.PermissionDeniedError, 403), ModelPermissionDeniedError),
        (_status_error(ni.NotFoundError, 404), ModelNotFoundError),
        (_status_error(ni.RateLimitError, 429), ModelRateLimitError),
        (_status_error(ni.ContextLengthExceededError, 400), ContextOverflowError),
        (_status_error(ni.BadRequestError, 400), ModelInvalidRequestError),
        (_status_error(ni.UnprocessableEntityError, 422), ModelInvalidRequestError),
        (_status_error(ni.RequestTooLargeError, 413), ModelInvalidRequestError),
        (_status_error(ni.InternalServerError, 503), ModelAPIError),
        (_status_error(ni.APIStatusError, 418), ModelAPIError),
        (ni.StreamIdleTimeoutError("idle"), ModelTimeoutError),
        (ni.APITimeoutError(), ModelTimeoutError),
        (ni.IncompleteStreamError("cut"), ModelConnectionError),
        (ni.APIConnectionError(), ModelConnectionError),
        (ni.APIStreamError("in-band"), ModelAPIError),
        (ni.APIResponseValidationError("bad body"), ModelAPIError),
        (ni.APIError("other"), ModelAPIError),
        (ni.InvalidRequestError("bad field"), ModelInvalidRequestError),
    ],
)
def test_every_core_error_has_a_twin_in_both_families(error: ni.NebiusError, family: type) -> None:
    twin = to_langchain_error(error)
    assert isinstance(twin, type(error))  # still the core's class (and its parents)
    assert isinstance(twin, family)
    assert type(twin).__name__.startswith("Nebius")
    assert str(twin) == str(error)
    assert twin.__dict__ == error.__dict__  # status_code, response, body, request...
    assert type(twin).__name__ in langchain_nebius.__all__
    assert to_langchain_error(twin) is twin


def test_configuration_errors_and_foreign_errors_pass_unchanged() -> None:
    error = ni.ConfigurationError("set NEBIUS_API_KEY")
    assert to_langchain_error(error) is error
    assert not isinstance(error, ModelError)
    with pytest.raises(KeyError), translate_errors():
        raise KeyError("not ours")
    with pytest.raises(ModelRateLimitError) as caught, translate_errors():
        raise _status_error(ni.RateLimitError, 429)
    assert isinstance(caught.value.__cause__, ni.RateLimitError)


# --- schema checks for dict structured output ------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "kind": {"enum": ["a", "b"]},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "age"],
}


def test_check_json_schema() -> None:
    assert check_json_schema({"name": "x", "age": 3, "tags": ["t"], "note": None}, SCHEMA) == []
    assert check_json_schema({"name": "x", "age": 3.0}, SCHEMA) == []  # 3.0 is an integer
    assert check_json_schema({"name": "x"}, SCHEMA) == ["$: missing required key 'age'"]
    assert check_json_schema({"name": "x", "age": True}, SCHEMA) == [
        "$.age: expected integer, got bool"
    ]
    assert check_json_schema({"name": "x", "age": 1, "tags": [1]}, SCHEMA) == [
        "$.tags[0]: expected string, got int"
    ]
    assert check_json_schema({"name": "x", "age": 1, "kind": "c"}, SCHEMA) == [
        "$.kind: 'c' is not one of ['a', 'b']"
    ]
    assert check_json_schema({"name": "x", "age": 1, "note": 5}, SCHEMA)
    assert check_json_schema([], SCHEMA) == ["$: expected object, got list"]


# --- NebiusLLM -------------------------------------------------------------------------------


def completion(texts: list[str], model: str = "served") -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "model": model,
        "choices": [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)],
        "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5},
    }


def test_llm_body_batching_and_usage(fake: Any) -> None:
    fake.queue(completion(["A", "B"]), completion(["C"]))
    llm = NebiusLLM(
        model="m", batch_size=2, max_tokens=9, echo=False, extra_body={"top_k": 3}, **fake.kwargs()
    )
    result = llm.generate(["p1", "p2", "p3"], stop=["\n"])
    assert [[g.text for g in gens] for gens in result.generations] == [["A"], ["B"], ["C"]]
    assert [b["prompt"] for b in fake.bodies] == [["p1", "p2"], "p3"]
    assert fake.body(0)["max_tokens"] == 9
    assert fake.body(0)["top_k"] == 3
    assert fake.body(0)["stop"] == ["\n"]
    assert fake.body(0)["echo"] is False
    assert "stream" not in fake.body(0)
    assert result.llm_output == {
        "token_usage": {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10},
        "model_name": "served",
    }


def test_llm_n_generations_per_prompt(fake: Any) -> None:
    fake.queue(completion(["a1", "a2", "b1", "b2"]))
    result = NebiusLLM(model="m", n=2, **fake.kwargs()).generate(["a", "b"])
    assert [[g.text for g in gens] for gens in result.generations] == [["a1", "a2"], ["b1", "b2"]]


def test_llm_stream_with_usage(fake: Any) -> None:
    events = [
        {"model": "m", "choices": [{"index": 0, "text": "Hel"}]},
        {"model": "m", "choices": [{"index": 0, "text": "lo", "finish_reason": "stop"}]},
        {"model": "m", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
    ]
    fake.queue(fake.stream_response(*events))
    assert list(NebiusLLM(model="m", **fake.kwargs()).stream("hi")) == ["Hel", "lo", ""]
    assert fake.body()["stream_options"] == {"include_usage": True}
    with pytest.raises(ValueError, match="n must be 1"):
        list(NebiusLLM(model="m", n=2, **fake.kwargs()).stream("hi"))


def test_llm_identity() -> None:
    llm = NebiusLLM(model="m", api_key="secret-llm-key", temperature=0.5)
    assert llm._llm_type == "nebius"
    assert llm._get_ls_params()["ls_provider"] == "nebius"
    assert llm._get_ls_params(model="x")["ls_model_name"] == "x"
    assert "secret-llm-key" not in repr(llm)
    assert NebiusLLM.is_lc_serializable()


# --- NebiusEmbeddings ------------------------------------------------------------------------


def _embedding_reply(request: httpx.Request) -> httpx.Response:
    inputs = json.loads(request.content)["input"]
    data = []
    for i, text in enumerate(inputs):
        vector = [float(len(text)), float(i)]
        encoded = base64.b64encode(struct.pack("<2f", *vector)).decode()
        data.append({"object": "embedding", "index": i, "embedding": encoded})
    return httpx.Response(200, json={"object": "list", "model": "m", "data": data})


def test_embeddings_batches_in_order(fake: Any) -> None:
    fake.default = _embedding_reply
    embeddings = NebiusEmbeddings(batch_size=2, max_concurrency=1, **fake.kwargs())
    vectors = embeddings.embed_documents(["a", "bb", "ccc"])
    assert vectors == [[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]
    assert [b["input"] for b in fake.bodies] == [["a", "bb"], ["ccc"]]
    assert fake.body()["model"] == "Qwen/Qwen3-Embedding-8B"
    assert "dimensions" not in fake.body()
    assert embeddings.embed_documents([]) == []
    assert len(fake.requests) == 2


async def test_embeddings_async(fake: Any) -> None:
    fake.default = _embedding_reply
    embeddings = NebiusEmbeddings(model_name="BAAI/bge-en-icl", dimensions=2, **fake.kwargs())
    assert await embeddings.aembed_query("abcd") == [4.0, 0.0]
    assert fake.body()["model"] == "BAAI/bge-en-icl"
    assert fake.body()["dimensions"] == 2


def test_embeddings_errors_are_translated(fake: Any) -> None:
    fake.default = httpx.Response(422, json={"detail": [{"loc": ["body", "input"], "msg": "x"}]})
    with pytest.raises(ModelInvalidRequestError):
        NebiusEmbeddings(**fake.kwargs()).embed_query("a")


# --- NebiusRerank ----------------------------------------------------------------------------


def test_rerank_sorts_and_skips_bad_indexes(fake: Any) -> None:
    fake.queue(
        {
            "results": [
                {"index": 0, "relevance_score": 0.1},
                {"index": 2, "relevance_score": 0.9},
                {"index": 7, "relevance_score": 0.8},
            ]
        }
    )
    docs = [Document("a", id="1"), Document("b", id="2"), Document("c", id="3")]
    ranked = NebiusRerank(top_n=2, **fake.kwargs()).compress_documents(docs, "q")
    assert [(d.id, d.metadata["relevance_score"]) for d in ranked] == [("3", 0.9)]
    assert fake.body() == {
        "model": "Qwen/Qwen3-Reranker-8B",
        "query": "q",
        "documents": ["a", "b", "c"],
        "top_n": 2,
    }


# --- NebiusImageGenerationTool ---------------------------------------------------------------


def test_image_tool_request_and_empty_reply(fake: Any) -> None:
    fake.queue({"data": [{"b64_json": base64.b64encode(b"\x89PNG-bytes").decode()}]})
    tool = NebiusImageGenerationTool(
        model="vendor/image-model", model_kwargs={"guidance_scale": 3.5}, **fake.kwargs()
    )
    content, artifact = tool._run(prompt="sky", negative_prompt="clouds", seed=5)
    assert artifact["data"] == b"\x89PNG-bytes"
    assert artifact["width"] == artifact["height"] == 1024
    assert "sky" in content
    assert fake.body() == {
        "model": "vendor/image-model",
        "prompt": "sky",
        "width": 1024,
        "height": 1024,
        "response_extension": "png",
        "response_format": "b64_json",
        "guidance_scale": 3.5,
        "negative_prompt": "clouds",
        "seed": 5,
    }
    fake.queue({"data": []})
    with pytest.raises(ValueError, match="no image"):
        tool._run(prompt="sky")
    assert tool.response_format == "content_and_artifact"
    assert fake.API_KEY not in repr(tool)


def test_public_names() -> None:
    exported = set(langchain_nebius.__all__)
    classes = {
        "ChatNebius",
        "NebiusLLM",
        "NebiusEmbeddings",
        "NebiusImageGenerationTool",
        "NebiusRerank",
        "NebiusRetriever",
        "NebiusRetrievalTool",
    }
    tools = {"nebius_search"}  # a tool object, as in the official package
    usage = {"NebiusCallbackHandler", "get_nebius_callback"}  # usage and cost
    assert classes | tools | usage | {"__version__"} <= exported
    assert langchain_nebius.__version__ == ni.__version__
    errors = exported - classes - tools - usage - {"__version__"}
    for name in classes | errors:
        assert getattr(langchain_nebius, name).__module__.startswith("langchain_nebius")
    assert isinstance(langchain_nebius.nebius_search, BaseTool)
    for name in errors:
        error = getattr(langchain_nebius, name)
        assert issubclass(error, ni.NebiusError)
        assert issubclass(error, ModelError)
