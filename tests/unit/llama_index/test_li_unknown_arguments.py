"""A LlamaIndex constructor argument that is neither a field nor a setting is an error naming
it (with "did you mean"), never dropped; aliases, LlamaIndex's own fields and LlamaIndex's
own copying and deserialising keep working."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusLLM, NebiusRerank

KEY = {"api_key": "sk-test"}
COMPONENTS = [NebiusLLM, NebiusEmbedding, NebiusRerank]


@pytest.mark.parametrize("cls", COMPONENTS)
def test_an_unknown_argument_is_an_error_naming_it(cls: Any) -> None:
    with pytest.raises(TypeError, match=rf"{cls.__name__} got unexpected .*`colour`") as info:
        cls(colour="red", **KEY)
    assert "did you mean" not in str(info.value)  # nothing is close to "colour"
    assert "sk-test" not in str(info.value)


@pytest.mark.parametrize("cls", COMPONENTS)
def test_a_typo_of_a_field_says_which_field(cls: Any) -> None:
    with pytest.raises(TypeError, match=r"`max_retires` \(did you mean `max_retries`\?\)"):
        cls(max_retires=3, **KEY)


def test_the_llm_names_temperature_for_temprature() -> None:
    with pytest.raises(TypeError, match=r"`temprature` \(did you mean `temperature`\?\)"):
        NebiusLLM(temprature=0.5, **KEY)


def test_every_unknown_argument_is_named_at_once() -> None:
    with pytest.raises(TypeError, match=r"arguments `temprature` .*, `colour`"):
        NebiusLLM(temprature=0.5, colour="red", **KEY)


def test_an_older_spelling_that_is_not_a_field_names_the_new_one() -> None:
    with pytest.raises(TypeError, match=r"did you mean `async_http_client`"):
        NebiusLLM(http_async_client=None, **KEY)


@pytest.mark.parametrize("cls", COMPONENTS)
def test_aliases_and_llama_index_fields_still_work(cls: Any) -> None:
    made = cls(
        api_base="http://127.0.0.1:9/v1",
        request_timeout=7,
        nebius_api_key="sk-test",
        callback_manager=None,
    )
    assert (made.base_url, made.timeout) == ("http://127.0.0.1:9/v1", 7)
    assert made.api_key.get_secret_value() == "sk-test"


def test_framework_fields_of_each_base_class() -> None:
    llm = NebiusLLM(system_prompt="Be brief.", context_window=1234, **KEY)
    assert (llm.system_prompt, llm.context_window) == ("Be brief.", 1234)
    embedding = NebiusEmbedding(model_name="m", embed_batch_size=3, num_workers=2, **KEY)
    assert (embedding.model_name, embedding.embed_batch_size) == ("m", 3)
    assert NebiusEmbedding(model="m2", **KEY).model_name == "m2"
    assert NebiusRerank(top_n=4, **KEY).top_n == 4


@pytest.mark.parametrize("cls", COMPONENTS)
def test_llama_index_copies_and_deserialises_without_an_error(
    cls: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEBIUS_API_KEY", "sk-test")  # serialised forms carry no key
    made = cls(base_url="http://127.0.0.1:9/v1", timeout=5, **KEY)
    for other in (
        cls.from_dict(made.to_dict()),
        cls.from_json(made.to_json()),
        cls.model_validate(made.model_dump()),
        made.model_copy(),
        copy.deepcopy(made),
        pickle.loads(pickle.dumps(made)),
    ):
        assert (other.base_url, other.timeout) == ("http://127.0.0.1:9/v1", 5)


def test_the_image_tool_spec_suggests_the_setting() -> None:
    with pytest.raises(TypeError, match=r"'max_retires' \(did you mean `max_retries`\?\)"):
        NebiusImageToolSpec(max_retires=3, **KEY)
    spec = NebiusImageToolSpec(api_base="http://127.0.0.1:9/v1", **KEY)
    assert spec.client.base_url.startswith("http://127.0.0.1:9/v1")
