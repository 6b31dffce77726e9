"""The public replacements of langchain-core private methods give what those methods give."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue, StringPromptValue

from langchain_nebius import ChatNebius
from langchain_nebius._convert import input_to_messages

INPUTS: list[Any] = [
    "hello",
    StringPromptValue(text="hi"),
    ChatPromptValue(messages=[SystemMessage("s"), HumanMessage("h")]),
    [("system", "s"), ("human", "h")],
    [HumanMessage("a"), AIMessage("b")],
]


@pytest.mark.parametrize("value", INPUTS)
def test_input_to_messages_matches_langchain(value: Any) -> None:
    llm = ChatNebius(api_key="k")
    assert input_to_messages(value) == llm._convert_input(value).to_messages()


def test_invalid_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="prompt value, a string or a list"):
        input_to_messages(42)


def test_invocation_params_extend_langchain_own() -> None:
    llm = ChatNebius(api_key="k", temperature=0.2)
    ours = llm._get_invocation_params(stop=["x"])
    theirs = BaseChatModel._get_invocation_params(llm, stop=["x"])
    assert {k: ours[k] for k in theirs} == theirs
    assert ours["temperature"] == 0.2 and ours["model"] == llm.model_name


def test_dumpd_is_what_callbacks_get() -> None:
    llm = ChatNebius(api_key="sk-never-in-callbacks")
    assert dumpd(llm) == llm._serialized
    assert "sk-never-in-callbacks" not in str(dumpd(llm))
