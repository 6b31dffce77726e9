"""``inspect.signature`` of every public adapter class lists its constructor fields (by alias
where validation uses one), before and after the class's first construction, although the
classes build their validators late (``defer_build``)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic._internal._signature as pydantic_signature
import pytest

from nebius_inference.signatures import field_signature

ROOT = Path(__file__).resolve().parents[2]

# Each public pydantic class of both adapters, with the arguments of a first construction.
CLASSES: dict[str, str] = {
    "langchain_nebius:ChatNebius": "{}",
    "langchain_nebius:NebiusLLM": "{}",
    "langchain_nebius:NebiusEmbeddings": "{}",
    "langchain_nebius:NebiusRerank": "{}",
    "langchain_nebius:NebiusImageGenerationTool": "{}",
    "langchain_nebius:NebiusRetriever": "{'embeddings': L.NebiusEmbeddings()}",
    "langchain_nebius:NebiusRetrievalTool": (
        "{'retriever': L.NebiusRetriever(embeddings=L.NebiusEmbeddings())}"
    ),
    "llama_index_nebius:NebiusLLM": "{}",
    "llama_index_nebius:NebiusEmbedding": "{}",
    "llama_index_nebius:NebiusRerank": "{}",
}


def expected_names(cls: Any) -> list[str]:
    """The fields a constructor takes, by the name pydantic validates them under, plus the
    named parameters of the class's own ``__init__``."""
    own = [
        p.name
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    fields = []
    for name, field in cls.model_fields.items():
        if field.init is False:
            continue
        if isinstance(field.validation_alias, str):
            name = field.validation_alias
        elif field.alias:
            name = field.alias
        fields.append(name)
    return sorted(set(own) | set(fields))


PROBE = """
import inspect, json, sys
import langchain_nebius as L, llama_index_nebius as LI
out = {}
for spec, args in json.loads(sys.argv[1]).items():
    module, name = spec.split(":")
    cls = getattr(L if module == "langchain_nebius" else LI, name)
    before = sorted(inspect.signature(cls).parameters)
    cls(**eval(args))
    after = sorted(inspect.signature(cls).parameters)
    out[spec] = [before, after]
print(json.dumps(out))
"""


def test_signatures_list_the_fields_before_and_after_a_first_construction() -> None:
    # A fresh interpreter: in this one, other tests may have built the classes already.
    env = {**os.environ, "NEBIUS_API_KEY": "sk-test", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(CLASSES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    import langchain_nebius as lc
    import llama_index_nebius as li

    for spec in CLASSES:
        module, name = spec.split(":")
        cls = getattr(lc if module == "langchain_nebius" else li, name)
        before, after = seen[spec]
        assert before == expected_names(cls), spec
        assert after == expected_names(cls), spec


def test_the_main_classes_show_their_own_fields() -> None:
    from langchain_nebius import ChatNebius, NebiusEmbeddings

    chat = inspect.signature(ChatNebius).parameters
    assert {"model", "temperature", "api_key", "base_url"} <= set(chat)
    assert "args" not in chat  # pydantic models take no positional arguments
    assert chat["model"].default == ChatNebius.model_fields["model_name"].default
    assert "model" in inspect.signature(NebiusEmbeddings).parameters


@pytest.mark.parametrize("spec", sorted(CLASSES))
def test_the_public_fallback_gives_the_same_names_and_defaults(
    spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_nebius as lc
    import llama_index_nebius as li

    module, name = spec.split(":")
    cls = getattr(lc if module == "langchain_nebius" else li, name)
    private = field_signature(cls)
    # Another pydantic without the private function: the public fallback runs.
    monkeypatch.delattr(pydantic_signature, "generate_pydantic_signature")
    public = field_signature(cls)
    assert list(public.parameters) != [] and sorted(public.parameters) == expected_names(cls)
    for param in public.parameters.values():
        other = private.parameters[param.name]
        assert (param.kind, repr(param.default)) == (other.kind, repr(other.default)), param
