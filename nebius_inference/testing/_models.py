"""The model table: what each model is, and the ``/v1/models`` listing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..catalog import KNOWN_MODELS, ModelFacts, ModelKind
from ._errors import EmulatorError, not_found

__all__ = ["EMULATOR_IMAGE_MODEL", "ModelKind", "ModelSpec", "ModelTable", "default_models"]

_ENDPOINTS: dict[ModelKind, str] = {
    "chat": "/v1/chat/completions and /v1/completions",
    "embedding": "/v1/embeddings",
    "rerank": "/v1/rerank",
    "image": "/v1/images/generations",
}


@dataclass(frozen=True)
class ModelSpec:
    """One model served by the emulator.

    ``backend`` picks the reply flavour: ``"vllm"`` adds vLLM's extra fields
    (``stop_reason``, ``prompt_logprobs``, ``kv_transfer_params``...), ``"sglang"`` adds
    SGLang's (``matched_stop``, ``metadata``...), so clients are tested on lenient parsing.
    """

    id: str
    kind: ModelKind = "chat"
    context_length: int = 131072
    max_output: int = 16384
    tools: bool = False
    vision: bool = False
    reasoning: bool = False
    json_mode: bool = True
    dimensions: int = 4096
    backend: Literal["vllm", "sglang"] = "vllm"
    owned_by: str = "system"
    created: int = 1724480826
    quantization: str = "fp8"
    price_prompt: str = "0.00000013"
    price_completion: str = "0.0000004"
    description: str = ""
    regions: tuple[str, ...] = ("eu-north1",)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def supported_features(self) -> list[str]:
        """Feature tags as the verbose listing reports them."""
        features: list[str] = []
        if self.tools:
            features.append("tools")
        if self.kind == "chat" and self.json_mode:
            features.append("json_mode")
        if self.vision:
            features.append("vision")
        if self.reasoning:
            features.append("reasoning")
        return features

    def listing(self) -> dict[str, Any]:
        """The plain ``/v1/models`` entry."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }

    def verbose(self) -> dict[str, Any]:
        """The ``/v1/models?verbose=true`` entry."""
        modality = {
            "chat": "text+image->text" if self.vision else "text->text",
            "embedding": "text->embedding",
            "rerank": "text->score",
            "image": "text->image",
        }[self.kind]
        pricing: dict[str, Any] = {
            "prompt": self.price_prompt,
            "completion": self.price_completion if self.kind == "chat" else "0",
            "image": "0.0013" if self.kind == "image" else "0",
            "request": "0",
            "price_per_video_second": None,
            "price_per_minute": None,
        }
        return {
            **self.listing(),
            "name": self.id.split("/")[-1],
            "description": self.description or f"{self.id} served by the emulator.",
            "context_length": self.context_length if self.kind != "image" else None,
            "max_output": self.max_output if self.kind == "chat" else None,
            "architecture": {"modality": modality, "tokenizer": self.id.split("/")[0]},
            "quantization": self.quantization,
            "pricing": pricing,
            "per_request_limits": {
                "tokens_per_minute": 400000,
                "requests_per_minute": 600,
                "burst_ratio": 2,
            },
            "supported_features": self.supported_features,
            "reasoning": self.reasoning,
            "regions": list(self.regions),
            **({"dimensions": self.dimensions} if self.kind == "embedding" else {}),
            **self.extra,
        }


#: The emulator's own text-to-image model: the public catalogue lists no image model today
#: (see ``nebius_inference.catalog``), so the emulator serves one under an id of its own.
EMULATOR_IMAGE_MODEL = "nebius-emulator/text-to-image"

# What the catalogue does not say: the reply flavour, dates, quantization.
_EMULATOR_EXTRAS: dict[str, dict[str, Any]] = {
    "openai/gpt-oss-120b": {"created": 1754352000, "quantization": "mxfp4"},
    "moonshotai/Kimi-K2.6": {"backend": "sglang", "created": 1776729600},
    "google/gemma-3-27b-it": {"quantization": "bf16", "created": 1741737600},
}


_DEFAULT_PRICES = {True: "0.00000013", False: "0.00000001"}


def _price(per_million: float | None, default: str) -> str:
    return default if per_million is None else f"{per_million / 1_000_000:.10f}".rstrip("0")


def _spec(facts: ModelFacts) -> ModelSpec:
    return ModelSpec(
        facts.id,
        kind=facts.kind,
        context_length=facts.context_length or 32768,
        max_output=facts.max_output or 16384,
        tools=facts.tools,
        vision=facts.vision,
        reasoning=facts.reasoning,
        json_mode=facts.json_mode or facts.kind == "chat",
        dimensions=facts.dimensions or 4096,
        price_prompt=_price(facts.input_price, _DEFAULT_PRICES[facts.kind == "chat"]),
        price_completion=_price(facts.output_price, "0.0000004"),
        **_EMULATOR_EXTRAS.get(facts.id, {}),
    )


def default_models() -> tuple[ModelSpec, ...]:
    """The default model table: the catalogue's models (``nebius_inference.catalog``), plus
    the emulator's own image model."""
    return (
        *(_spec(facts) for facts in KNOWN_MODELS.values()),
        ModelSpec(EMULATOR_IMAGE_MODEL, kind="image", price_prompt="0", created=1767225600),
    )


class ModelTable:
    """Look models up by id, checking that they suit the endpoint."""

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models = {model.id: model for model in models}

    def __iter__(self) -> Any:
        return iter(self._models.values())

    def all(self) -> Sequence[ModelSpec]:
        """All models, in table order."""
        return list(self._models.values())

    def get(self, model_id: str) -> ModelSpec | None:
        """Return the model with this id (case-sensitive), if any."""
        return self._models.get(model_id)

    def require(self, model_id: str, kind: ModelKind, endpoint: str) -> ModelSpec:
        """Return the model, or raise 404 if unknown and 400 if it is the wrong kind."""
        spec = self._models.get(model_id)
        if spec is None:
            raise not_found(f"Model {model_id} not found")
        if spec.kind != kind:
            raise EmulatorError(
                400,
                f"Model {model_id} is a {spec.kind} model and cannot be used with {endpoint}; "
                f"use it with {_ENDPOINTS[spec.kind]}",
            )
        return spec
