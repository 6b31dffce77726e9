"""The model table: what each model is, and the ``/v1/models`` listing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import EmulatorError, not_found

__all__ = ["ModelKind", "ModelSpec", "ModelTable", "default_models"]

ModelKind = Literal["chat", "embedding", "rerank", "image"]
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


def default_models() -> tuple[ModelSpec, ...]:
    """Return the default model table (realistic public model ids)."""
    return (
        ModelSpec("meta-llama/Llama-3.3-70B-Instruct", tools=True, created=1733443200),
        ModelSpec("meta-llama/Meta-Llama-3.1-8B-Instruct", tools=True, price_prompt="0.00000002",
                  price_completion="0.00000006", created=1721347200),
        ModelSpec("Qwen/Qwen3-235B-A22B-Instruct-2507", context_length=262144, tools=True,
                  created=1753228800),
        ModelSpec("Qwen/Qwen3-235B-A22B-Thinking-2507", context_length=262144, tools=True,
                  reasoning=True, max_output=32768, created=1753660800),
        ModelSpec("deepseek-ai/DeepSeek-R1-0528", context_length=163840, tools=True, reasoning=True,
                  max_output=32768, price_prompt="0.0000008", price_completion="0.0000024",
                  created=1748390400),
        ModelSpec("openai/gpt-oss-120b", tools=True, reasoning=True, created=1754352000,
                  quantization="mxfp4"),
        ModelSpec("moonshotai/Kimi-K2-Instruct", tools=True, backend="sglang",
                  price_prompt="0.0000005", price_completion="0.0000024", created=1752192000),
        ModelSpec("Qwen/Qwen2.5-VL-72B-Instruct", context_length=32000, vision=True,
                  max_output=8192, created=1738108800),
        ModelSpec("google/gemma-3-27b-it", context_length=110000, vision=True, max_output=8192,
                  quantization="bf16", created=1741737600),
        ModelSpec("BAAI/bge-en-icl", kind="embedding", context_length=32768,
                  price_prompt="0.00000001", created=1721347200),
        ModelSpec("Qwen/Qwen3-Embedding-8B", kind="embedding", context_length=32768,
                  price_prompt="0.00000001", created=1749081600),
        ModelSpec("BAAI/bge-multilingual-gemma2", kind="embedding", context_length=8192,
                  dimensions=3584, price_prompt="0.00000001", created=1721347200),
        ModelSpec("intfloat/e5-mistral-7b-instruct", kind="embedding", context_length=32768,
                  price_prompt="0.00000001", created=1721347200),
        ModelSpec("Qwen/Qwen3-Reranker-8B", kind="rerank", context_length=32768,
                  price_prompt="0.00000001", created=1749081600),
        ModelSpec("black-forest-labs/flux-schnell", kind="image", price_prompt="0",
                  created=1723766400),
        ModelSpec("black-forest-labs/flux-dev", kind="image", price_prompt="0", created=1723766400),
        ModelSpec("stability-ai/sdxl", kind="image", price_prompt="0", created=1721347200),
    )  # fmt: skip


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
