"""The emulator as a backend that ignores ``guided_*`` (vLLM 0.12 and later), and our structured
output in that failure mode: only a ``json_schema`` response format constrains the reply there,
so the default method of both adapters must send one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from langchain_core.exceptions import OutputParserException
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, ValidationError

from langchain_nebius import ChatNebius
from llama_index_nebius import NebiusLLM
from nebius_inference.testing import Emulator, EmulatorConfig

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
# Prompts that do not name the keys: nothing but the request's constraint shapes the reply.
PROMPTS = [
    "Tell me about the biggest city in Japan.",
    "Which city would you visit in Italy?",
    "Describe a town on the coast of Portugal.",
    "What is a nice place to live in Canada?",
    "Name somewhere in Kenya worth seeing.",
]


class City(BaseModel):
    """A city."""

    name: str
    country: str
    population: int


SCHEMA = City.model_json_schema()


@pytest.fixture(scope="module")
def ignoring() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(guided_decoding="ignored")) as emu:
        yield emu


@pytest.fixture
def sdk(ignoring: Emulator) -> Iterator[openai.OpenAI]:
    """The official OpenAI SDK: requests exactly as written, nothing added by our clients."""
    with openai.OpenAI(base_url=ignoring.base_url, api_key=ignoring.api_key, max_retries=0) as c:
        yield c


def _content(sdk: openai.OpenAI, prompt: str, **extra: object) -> str:
    reply = sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        extra_body=extra,  # type: ignore[arg-type]
    )
    return reply.choices[0].message.content or ""


def _is_city(text: str) -> bool:
    try:
        City.model_validate_json(text)
    except ValidationError:
        return False
    return True


def test_guided_fields_are_ignored_and_json_schema_is_enforced(sdk: openai.OpenAI) -> None:
    json_schema = {"type": "json_schema", "json_schema": {"name": "City", "schema": SCHEMA}}
    for prompt in PROMPTS:
        assert not _is_city(_content(sdk, prompt, guided_json=SCHEMA))
        # The former default (guided_json + json_object) gets some JSON, not a City.
        old = _content(sdk, prompt, guided_json=SCHEMA, response_format={"type": "json_object"})
        assert isinstance(json.loads(old), dict) and not _is_city(old)
        assert _is_city(_content(sdk, prompt, response_format=json_schema))
    choice = _content(sdk, "Pick one.", guided_choice=["zebra-7", "yak-9"])
    assert choice not in ("zebra-7", "yak-9")
    # Ignored means not even checked: two kinds at once are no error here.
    assert _content(sdk, "Hi", guided_regex="[0-9]+", guided_choice=["a"])
    completion = sdk.completions.create(
        model=MODEL, prompt="Pick one:", extra_body={"guided_choice": ["zebra-7", "yak-9"]}
    )
    assert completion.choices[0].text.strip() not in ("zebra-7", "yak-9")


def test_guided_fields_are_honoured_by_default(emu: Emulator) -> None:
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as sdk:
        assert _is_city(_content(sdk, PROMPTS[0], guided_json=SCHEMA))
        assert _content(sdk, "Pick one.", guided_choice=["zebra-7", "yak-9"]) in (
            "zebra-7",
            "yak-9",
        )


def test_langchain_default_structured_output_holds(ignoring: Emulator) -> None:
    llm = ChatNebius(model=MODEL, base_url=ignoring.base_url, api_key=ignoring.api_key)
    default = llm.with_structured_output(City)
    for prompt in PROMPTS:
        assert isinstance(default.invoke(prompt), City)
        assert isinstance(list(default.stream(prompt))[-1], City)
    # What the default used to send is caught by the client-side check, not passed on.
    old = llm.bind(guided_json=SCHEMA, response_format={"type": "json_object"})
    with pytest.raises(OutputParserException, match="does not match City"):
        (old | default.last).invoke(PROMPTS[0])  # type: ignore[attr-defined]


async def test_llama_index_structured_predict_holds(ignoring: Emulator) -> None:
    llm = NebiusLLM(model=MODEL, base_url=ignoring.base_url, api_key=ignoring.api_key)
    prompt = PromptTemplate("{question}")
    for question in PROMPTS:
        assert isinstance(llm.structured_predict(City, prompt, question=question), City)
        assert isinstance(await llm.astructured_predict(City, prompt, question=question), City)
        streamed = list(llm.stream_structured_predict(City, prompt, question=question))
        assert isinstance(streamed[-1], City)
    sllm = llm.as_structured_llm(City)
    assert isinstance(sllm.complete(PROMPTS[0]).raw, City)
