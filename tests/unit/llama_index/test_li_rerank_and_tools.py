"""NebiusRerank and NebiusImageToolSpec over a fake API."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from fakes import API_KEY, FakeAPI
from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from llama_index_nebius import NebiusImageToolSpec, NebiusRerank

# -- rerank ------------------------------------------------------------------------------------

NODES = [
    NodeWithScore(node=TextNode(text="Paris is in France.", id_="a"), score=0.9),
    NodeWithScore(node=TextNode(text="Cats purr.", id_="b"), score=0.8),
    NodeWithScore(node=TextNode(text="The Louvre is in Paris.", id_="c"), score=0.7),
]


def _rerank_reply(*pairs: tuple[int, float]) -> dict:
    return {
        "id": "r1",
        "model": "Qwen/Qwen3-Reranker-8B",
        "results": [{"index": i, "relevance_score": s} for i, s in pairs],
    }


def test_rerank_scores_and_orders_nodes(fake: FakeAPI) -> None:
    fake.queue(_rerank_reply((2, 0.95), (0, 0.6)))
    rerank = NebiusRerank(top_n=2, **fake.clients())
    ranked = rerank.postprocess_nodes(list(NODES), query_str="museums in Paris")
    assert fake.requests[0].url.path.endswith("/rerank")
    assert fake.body() == {
        "model": "Qwen/Qwen3-Reranker-8B",
        "query": "museums in Paris",
        "documents": ["Paris is in France.", "Cats purr.", "The Louvre is in Paris."],
        "top_n": 2,
    }
    assert [(n.node.node_id, n.score) for n in ranked] == [("c", 0.95), ("a", 0.6)]


async def test_async_rerank_keeps_retrieval_score(fake: FakeAPI) -> None:
    fake.queue(_rerank_reply((1, 0.2), (0, 0.7), (2, 0.1)))
    nodes = [NodeWithScore(node=n.node.model_copy(), score=n.score) for n in NODES]
    rerank = NebiusRerank(top_n=5, keep_retrieval_score=True, **fake.clients())
    ranked = await rerank.apostprocess_nodes(nodes, QueryBundle("France"))
    assert fake.body()["top_n"] == 3  # never more than the nodes given
    assert [n.node.node_id for n in ranked] == ["a", "b", "c"]
    assert ranked[0].node.metadata["retrieval_score"] == 0.9


def test_rerank_needs_a_query_and_skips_empty_lists(fake: FakeAPI) -> None:
    rerank = NebiusRerank(**fake.clients())
    assert rerank.postprocess_nodes([], query_str="x") == []
    with pytest.raises(ValueError, match="query"):
        rerank.postprocess_nodes(list(NODES))
    assert fake.requests == []


def test_rerank_rejects_an_index_out_of_range(fake: FakeAPI) -> None:
    fake.queue(_rerank_reply((7, 0.9)))
    with pytest.raises(ValueError, match="index 7"):
        NebiusRerank(**fake.clients()).postprocess_nodes(list(NODES), query_str="x")


def test_rerank_key_is_not_serialised() -> None:
    rerank = NebiusRerank(api_key=API_KEY)
    assert API_KEY not in repr(rerank) and API_KEY not in rerank.to_json()
    assert rerank.to_dict()["class_name"] == "NebiusRerank"


# -- image tool --------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 24


def _images(count: int = 1) -> httpx.Response:
    data = [{"b64_json": base64.b64encode(PNG).decode()} for _ in range(count)]
    return httpx.Response(200, json={"id": "img-1", "data": data})


def _spec(fake: FakeAPI, **kwargs: object) -> NebiusImageToolSpec:
    kwargs.setdefault("model", "vendor/image-model")
    return NebiusImageToolSpec(**fake.clients(), **kwargs)  # type: ignore[arg-type]


def test_generate_image_returns_image_blocks_without_files(
    fake: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fake.queue(_images(2))
    blocks = _spec(fake).generate_image(
        "a red fox", negative_prompt="blur", width=512, height=768, seed=7, format="jpeg"
    )
    assert fake.requests[0].url.path.endswith("/images/generations")
    assert fake.body() == {
        "model": "vendor/image-model",
        "prompt": "a red fox",
        "negative_prompt": "blur",
        "width": 512,
        "height": 768,
        "seed": 7,
        "response_extension": "jpg",
        "response_format": "b64_json",
    }
    assert len(blocks) == 2
    assert all(isinstance(b, ImageBlock) for b in blocks)
    assert blocks[0].image_mimetype == "image/jpeg"
    assert blocks[0].resolve_image().read() == PNG
    assert blocks[0].path is None
    assert list(tmp_path.iterdir()) == []


def test_save_dir_writes_the_images(fake: FakeAPI, tmp_path: Path) -> None:
    fake.queue(_images(1))
    (block,) = _spec(fake, save_dir=tmp_path / "out").generate_image("x", format="webp")
    assert block.path is not None
    assert block.path.parent == tmp_path / "out"
    assert block.path.suffix == ".webp"
    assert block.path.read_bytes() == PNG


async def test_agenerate_image(fake: FakeAPI, tmp_path: Path) -> None:
    fake.queue(_images(1))
    (block,) = await _spec(fake, save_dir=tmp_path).agenerate_image("x", num_inference_steps=4)
    assert fake.body()["num_inference_steps"] == 4
    assert block.path is not None and block.path.read_bytes() == PNG


@pytest.mark.parametrize(("width", "height"), [(32, 512), (512, 4096)])
def test_sizes_are_checked_before_sending(fake: FakeAPI, width: int, height: int) -> None:
    with pytest.raises(ValueError, match="between 64 and 2048"):
        _spec(fake).generate_image("x", width=width, height=height)
    assert fake.requests == []


def test_unknown_format_is_rejected(fake: FakeAPI) -> None:
    with pytest.raises(ValueError, match="png, jpg or webp"):
        _spec(fake).generate_image("x", format="gif")  # type: ignore[arg-type]
    assert fake.requests == []


async def test_tool_list_wires_the_async_twin(fake: FakeAPI) -> None:
    fake.queue(_images(1), _images(1))
    (tool,) = _spec(fake).to_tool_list()
    assert tool.metadata.name == "generate_image"
    schema = tool.metadata.get_parameters_dict()
    assert schema["required"] == ["prompt"]
    width = schema["properties"]["width"]
    assert (width["minimum"], width["maximum"], width["default"]) == (64, 2048, 1024)
    assert schema["properties"]["format"]["enum"] == ["png", "jpg", "webp"]
    output = await tool.acall(prompt="a boat")
    assert isinstance(output.blocks[0], ImageBlock)
    assert tool.async_fn.__name__ == "agenerate_image"
    assert isinstance(tool.call(prompt="a car").blocks[0], ImageBlock)
    assert len(fake.requests) == 2


def test_spec_repr_and_pickle_have_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    spec = NebiusImageToolSpec(model="m", api_key=API_KEY, timeout=9, default_headers={"a": "b"})
    assert API_KEY not in repr(spec)
    data = pickle.dumps(spec)
    assert API_KEY.encode() not in data
    monkeypatch.setenv("NEBIUS_API_KEY", "env-key")
    copy = pickle.loads(data)
    assert (copy.model, copy.client._options.timeouts.total) == ("m", 9)
    assert copy.client._options.api_key.get_secret_value() == "env-key"
    assert dict(copy.client._options.default_headers) == {}
