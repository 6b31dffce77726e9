"""Token estimates that need no tokenizer: langchain-core's default would load the GPT-2
tokenizer from ``transformers`` (a download, or an ImportError where it is not installed)."""

from __future__ import annotations

import sys

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.tools import tool

from langchain_nebius import ChatNebius, NebiusLLM


@tool
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return "sunny"


@pytest.fixture(autouse=True)
def _no_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # importing it now fails


def test_text_is_estimated_at_four_characters_a_token() -> None:
    for model in (ChatNebius(api_key="test-key"), NebiusLLM(api_key="test-key")):
        assert model.get_num_tokens("") == 0
        assert model.get_num_tokens("a" * 40) == 10
        assert model.get_num_tokens("a" * 41) == 11


def test_messages_and_tools_are_estimated() -> None:
    llm = ChatNebius(api_key="test-key")
    messages = [SystemMessage("Be brief."), HumanMessage("What is the weather in Paris today?")]
    plain = llm.get_num_tokens_from_messages(messages)
    assert plain >= llm.get_num_tokens("Be brief.What is the weather in Paris today?")
    assert llm.get_num_tokens_from_messages(messages, tools=[get_weather]) > plain


def test_trim_messages_can_count_with_the_model() -> None:
    llm = ChatNebius(api_key="test-key")
    history = [
        SystemMessage("You are terse."),
        *[m for i in range(20) for m in (HumanMessage(f"question {i} " * 5), AIMessage("ok"))],
    ]
    kept = trim_messages(
        history, max_tokens=60, token_counter=llm, strategy="last", include_system=True
    )
    assert kept[0] == history[0] and kept[-1] == history[-1]
    assert 2 < len(kept) < len(history)
    assert llm.get_num_tokens_from_messages(kept) <= 60


def test_a_custom_tokenizer_gives_exact_counts() -> None:
    def by_words(text: str) -> list[int]:
        return list(range(len(text.split())))

    llm = ChatNebius(api_key="test-key", custom_get_token_ids=by_words)
    assert llm.get_num_tokens("one two three") == 3
    assert NebiusLLM(api_key="test-key", custom_get_token_ids=by_words).get_num_tokens("a b") == 2
    assert llm.get_num_tokens_from_messages([HumanMessage("one two")]) >= 2
