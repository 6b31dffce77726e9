"""End to end over the emulator: RAG with embeddings + rerank + LLM, and agents with tools."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.tools import FunctionTool

from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusLLM, NebiusRerank
from nebius_inference.testing import Emulator

DOCS = [
    Document(
        text="Volcanoes erupt molten lava and ash from magma chambers beneath the crust.",
        metadata={"topic": "volcanoes"},
    ),
    Document(
        text="Honeybees collect nectar and pollen and make honey inside the hive.",
        metadata={"topic": "bees"},
    ),
    Document(
        text="Jazz musicians improvise melodies on saxophone and trumpet in small clubs.",
        metadata={"topic": "jazz"},
    ),
    Document(
        text="Glaciers carve valleys as compacted snow and ice slowly flow downhill.",
        metadata={"topic": "glaciers"},
    ),
]

QUESTIONS = [
    ("How do honeybees make honey?", "bees"),
    ("What do jazz musicians improvise on saxophone?", "jazz"),
    ("Where does molten lava come from when volcanoes erupt?", "volcanoes"),
]


@pytest.fixture
def index(embed_model: NebiusEmbedding) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=embed_model)


@pytest.mark.parametrize(("question", "topic"), QUESTIONS)
def test_query_engine_retrieves_reranks_and_answers(
    emu: Emulator,
    index: VectorStoreIndex,
    llm: NebiusLLM,
    rerank: NebiusRerank,
    question: str,
    topic: str,
) -> None:
    emu.reset()
    engine = index.as_query_engine(llm=llm, similarity_top_k=3, node_postprocessors=[rerank])
    response = engine.query(question)
    assert response.source_nodes[0].node.metadata["topic"] == topic
    assert len(response.source_nodes) == 2
    scores = [n.score or 0.0 for n in response.source_nodes]
    assert scores == sorted(scores, reverse=True)
    assert response.response  # the LLM answered
    paths = [r.path for r in emu.request_log]
    assert paths == ["/v1/embeddings", "/v1/rerank", "/v1/chat/completions"]
    chat = emu.requests(path="/v1/chat/completions")[0].json
    prompt = str(chat["messages"])
    assert str(DOCS[[d.metadata["topic"] for d in DOCS].index(topic)].text) in prompt


async def test_async_query_engine(
    index: VectorStoreIndex, llm: NebiusLLM, rerank: NebiusRerank
) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=4, node_postprocessors=[rerank])
    response = await engine.aquery("Why do glaciers carve valleys?")
    assert response.source_nodes[0].node.metadata["topic"] == "glaciers"


def test_streaming_query_engine(
    index: VectorStoreIndex, llm: NebiusLLM, rerank: NebiusRerank
) -> None:
    engine = index.as_query_engine(
        llm=llm, similarity_top_k=3, node_postprocessors=[rerank], streaming=True
    )
    response = engine.query("How do honeybees make honey?")
    text = "".join(response.response_gen)  # type: ignore[union-attr]
    assert text
    assert response.source_nodes[0].node.metadata["topic"] == "bees"


# -- agents ------------------------------------------------------------------------------------

# Building a workflow agent walks its members with inspect.getmembers (in the workflows
# package), which touches pydantic's deprecated instance attributes; only those warnings,
# raised from ``inspect``, are ignored.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20:inspect"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211:inspect"),
]


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def magic_function(input: int) -> int:
    """Apply the magic function to an integer input."""
    return input * 10 + 7


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=magic_function)]


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_completes_a_tool_loop(
    emu: Emulator, llm: NebiusLLM, image_spec: NebiusImageToolSpec, streaming: bool
) -> None:
    agent = FunctionAgent(tools=[*TOOLS, *image_spec.to_tool_list()], llm=llm, streaming=streaming)
    handler = agent.run(user_msg="What is magic_function(3)?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    output = await handler
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("magic_function", {"input": 3}, "37")
    ]
    assert str(output).strip()
    chats = emu.requests(path="/v1/chat/completions")
    assert len(chats) == 2
    last = chats[-1].json["messages"]
    assert last[-1]["role"] == "tool" and last[-1]["content"] == "37"
    tool_names = [t["function"]["name"] for t in chats[0].json["tools"]]
    assert tool_names == ["add", "magic_function", "generate_image"]


async def test_function_agent_uses_the_image_tool(
    emu: Emulator, llm: NebiusLLM, image_spec: NebiusImageToolSpec
) -> None:
    agent = FunctionAgent(tools=[*TOOLS, *image_spec.to_tool_list()], llm=llm)
    handler = agent.run(user_msg="Please call generate_image to draw a lighthouse at dusk.")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    await handler
    assert [r.tool_name for r in results] == ["generate_image"]
    (block,) = results[0].tool_output.blocks
    assert isinstance(block, ImageBlock)
    assert block.resolve_image().read().startswith(b"\x89PNG")
    assert len(emu.requests(path="/v1/images/generations")) == 1
    tool_message = emu.requests(path="/v1/chat/completions")[-1].json["messages"][-1]
    assert tool_message["role"] == "tool" and "image/png image" in tool_message["content"]


async def test_agent_workflow_with_two_agents(emu: Emulator, llm: NebiusLLM) -> None:
    calculator = FunctionAgent(
        name="calculator",
        description="Does arithmetic with the add and magic_function tools.",
        tools=TOOLS,
        llm=llm,
    )
    workflow = AgentWorkflow(agents=[calculator], root_agent="calculator")
    output = await workflow.run(user_msg="What is add(2, 5)?")
    assert [t.tool_name for t in output.tool_calls] == ["add"]
    assert output.tool_calls[0].tool_output.content == "7"
