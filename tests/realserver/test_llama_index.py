"""``llama_index_nebius`` against a real ``llama-server``."""

from __future__ import annotations

import json

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, Field
from realserver.llama_server import BREAK_WATCHDOG, RealServer, watched

import nebius_inference as ni
from llama_index_nebius import NebiusEmbedding, NebiusLLM
from llama_index_nebius.llms import StructuredOutputError

# Prompts that do not name the keys: only the request's constraint can shape the reply.
PROMPTS = [
    "Tell me about the biggest city in Japan.",
    "Which city would you visit in Italy?",
    "Describe a town on the coast of Portugal.",
    "What is a nice place to live in Canada?",
    "Name somewhere in Kenya worth seeing.",
]
QUESTION = PromptTemplate("{question}")
HI = [ChatMessage(role="user", content="Say hello to a new colleague.")]


class City(BaseModel):
    """A city. The bounded strings bound the grammar, so a 135M model that repeats itself
    still finishes its JSON within ``max_tokens``."""

    name: str = Field(max_length=40)
    country: str = Field(max_length=40)
    population: int


def _llm(server: RealServer, **kwargs: object) -> NebiusLLM:
    # The model tables do not know this model: its real context window is given here.
    options: dict[str, object] = {"context_window": server.context, "max_tokens": 400}
    options.update(kwargs)
    model = str(options.pop("model", server.chat_model))
    return NebiusLLM(model, **server.connection(), **options)  # type: ignore[arg-type]


def test_chat_and_stream_with_usage(server: RealServer) -> None:
    llm = _llm(server, max_tokens=12)
    reply = llm.chat(HI)
    assert reply.message.content and reply.message.content.strip()
    assert 0 < reply.additional_kwargs["completion_tokens"] <= 12
    streamed = list(llm.stream_chat(HI))
    assert streamed[-1].message.content and streamed[-1].message.content.strip()
    assert "".join(r.delta or "" for r in streamed) == streamed[-1].message.content
    assert 0 < streamed[-1].additional_kwargs["completion_tokens"] <= 12


def test_structured_predict_is_valid_five_of_five(server: RealServer) -> None:
    """Once 0 of 5 here, even with the keys named: the model copied back the JSON schema the
    prompt carried, and json_object accepts any JSON."""
    llm = _llm(server)
    valid = [
        isinstance(llm.structured_predict(City, QUESTION, question=prompt), City)
        for prompt in PROMPTS
    ]
    assert valid == [True] * 5


async def test_async_and_streamed_structured_predict(server: RealServer) -> None:
    llm = _llm(server)
    assert isinstance(await llm.astructured_predict(City, QUESTION, question=PROMPTS[1]), City)
    parts = list(llm.stream_structured_predict(City, QUESTION, question=PROMPTS[2]))
    assert isinstance(parts[-1], City)
    agen = await llm.astream_structured_predict(City, QUESTION, question=PROMPTS[3])
    assert isinstance([p async for p in agen][-1], City)


def test_as_structured_llm(server: RealServer) -> None:
    sllm = _llm(server).as_structured_llm(City)
    reply = sllm.chat([ChatMessage(role="user", content=PROMPTS[4])])
    assert isinstance(reply.raw, City)
    assert City.model_validate(json.loads(reply.message.content or "")) == reply.raw


def test_a_response_format_of_ones_own_wins(server: RealServer) -> None:
    class Answer(BaseModel):
        answer: str = Field(max_length=40)

    own = {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": Answer.model_json_schema()},
    }
    # Ours would ask for a City; the server follows the caller's schema.
    result = _llm(server).structured_predict(
        Answer, QUESTION, llm_kwargs={"response_format": own}, question=PROMPTS[0]
    )
    assert isinstance(result, Answer)


def test_function_mode_without_a_tool_call_keeps_the_reply(server: RealServer) -> None:
    """This model answers in words even when a tool call is forced."""
    llm = _llm(
        server,
        max_tokens=32,
        pydantic_program_mode=PydanticProgramMode.FUNCTION,
        is_function_calling_model=True,
    )
    with pytest.raises(StructuredOutputError, match="no tool call") as caught:
        llm.structured_predict(City, QUESTION, question=PROMPTS[0])
    assert caught.value.raw_text.strip()


def test_errors(server: RealServer) -> None:
    wrong = NebiusLLM(
        server.chat_model,
        base_url=server.base_url,
        api_key="sk-wrong",
        max_retries=0,
        context_window=server.context,
    )
    with pytest.raises(ni.AuthenticationError):
        wrong.chat(HI)
    unknown = _llm(server, model="no-such-model-x1", max_retries=0)
    with pytest.raises(ni.APIStatusError, match="no-such-model-x1"):
        unknown.complete("Hi")


def test_query_engine_over_a_few_documents(server: RealServer) -> None:
    documents = [
        Document(text="The lighthouse at Fastnet stands on a rock off the coast of Ireland."),
        Document(text="Sourdough bread rises slowly because of wild yeast and bacteria."),
        Document(text="The marathon is a long-distance race of about forty-two kilometres."),
        Document(text="Copper conducts electricity well and is used in household wiring."),
    ]
    embed_model = NebiusEmbedding(model_name=server.embed_model, **server.connection())
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
    engine = index.as_query_engine(llm=_llm(server, max_tokens=48), similarity_top_k=2)
    response = engine.query("Where does the Fastnet lighthouse stand?")
    assert isinstance(response.response, str) and response.response.strip()
    texts = {document.text for document in documents}
    assert len(response.source_nodes) == 2
    assert all(node.node.get_content() in texts for node in response.source_nodes)


def test_break_out_of_a_stream_then_chat(server: RealServer) -> None:
    llm = _llm(server, max_tokens=8)

    def loop() -> int:
        done = 0
        for _ in range(10):
            for response in llm.stream_chat(HI):
                if response.delta:
                    break
            done += bool(llm.chat(HI).message.content is not None)
        return done

    assert watched(loop, BREAK_WATCHDOG) == 10
