"""What we know about Nebius models, for ``LLMMetadata``: context window and capabilities.

The table covers the common serverless models; the verbose model listing
(``GET /v1/models?verbose=true``) is the authority when asked for (``fetch_metadata=True``).
The catalogue changes often, so unknown models fall back to conservative defaults rather
than to LlamaIndex's 3,900-token default, which would over-split every prompt.

Precedence, highest first: the user's explicit value, the verbose listing, this table, the
defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass

from llama_index.core.base.llms.types import LLMMetadata, MessageRole
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS

from nebius_inference.types import Model

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "KNOWN_MODELS",
    "ModelSpec",
    "build_metadata",
    "lookup",
]

#: Context window assumed for a model that is neither in the table nor in a fetched listing.
DEFAULT_CONTEXT_WINDOW = 32_768


@dataclass(frozen=True)
class ModelSpec:
    """Static facts about one model."""

    context_window: int
    function_calling: bool = True
    vision: bool = False
    reasoning: bool = False


KNOWN_MODELS: dict[str, ModelSpec] = {
    # Meta
    "meta-llama/Llama-3.3-70B-Instruct": ModelSpec(131_072),
    "meta-llama/Meta-Llama-3.1-8B-Instruct": ModelSpec(131_072),
    "meta-llama/Meta-Llama-3.1-405B-Instruct": ModelSpec(131_072),
    "meta-llama/Llama-Guard-3-8B": ModelSpec(131_072, function_calling=False),
    # Qwen
    "Qwen/Qwen3-235B-A22B-Instruct-2507": ModelSpec(262_144),
    "Qwen/Qwen3-235B-A22B-Thinking-2507": ModelSpec(262_144, reasoning=True),
    "Qwen/Qwen3-30B-A3B-Instruct-2507": ModelSpec(262_144),
    "Qwen/Qwen3-30B-A3B-Thinking-2507": ModelSpec(262_144, reasoning=True),
    "Qwen/Qwen3-32B": ModelSpec(40_960, reasoning=True),
    "Qwen/Qwen3-Coder-480B-A35B-Instruct": ModelSpec(262_144),
    "Qwen/Qwen3-Coder-30B-A3B-Instruct": ModelSpec(262_144),
    "Qwen/Qwen3-Next-80B-A3B-Thinking": ModelSpec(262_144, reasoning=True),
    "Qwen/Qwen2.5-Coder-32B-Instruct": ModelSpec(32_768),
    "Qwen/Qwen2.5-VL-72B-Instruct": ModelSpec(32_768, function_calling=False, vision=True),
    # DeepSeek
    "deepseek-ai/DeepSeek-R1-0528": ModelSpec(163_840, reasoning=True),
    "deepseek-ai/DeepSeek-V3-0324": ModelSpec(163_840),
    "deepseek-ai/DeepSeek-V3.1": ModelSpec(163_840),
    # OpenAI open weights
    "openai/gpt-oss-120b": ModelSpec(131_072, reasoning=True),
    "openai/gpt-oss-20b": ModelSpec(131_072, reasoning=True),
    # Others
    "moonshotai/Kimi-K2-Instruct": ModelSpec(131_072),
    "zai-org/GLM-4.5": ModelSpec(131_072, reasoning=True),
    "zai-org/GLM-4.5-Air": ModelSpec(131_072, reasoning=True),
    "NousResearch/Hermes-4-405B": ModelSpec(131_072, reasoning=True),
    "NousResearch/Hermes-4-70B": ModelSpec(131_072, reasoning=True),
    "google/gemma-3-27b-it": ModelSpec(131_072, function_calling=False, vision=True),
    "mistralai/Mistral-Nemo-Instruct-2407": ModelSpec(131_072),
}


def lookup(model: str) -> ModelSpec | None:
    """The table entry for ``model``; ``-fast`` flavours share their base model's facts
    except the context window, which we do not assume (the listing gives it)."""
    spec = KNOWN_MODELS.get(model)
    if spec is not None:
        return spec
    if model.endswith("-fast"):
        base = KNOWN_MODELS.get(model.removesuffix("-fast"))
        if base is not None:
            return ModelSpec(
                min(base.context_window, DEFAULT_CONTEXT_WINDOW),
                function_calling=base.function_calling,
                vision=base.vision,
                reasoning=base.reasoning,
            )
    return None


def build_metadata(
    model: str,
    *,
    listing: Model | None = None,
    context_window: int | None = None,
    is_function_calling_model: bool | None = None,
    is_chat_model: bool = True,
    max_tokens: int | None = None,
) -> LLMMetadata:
    """``LLMMetadata`` for ``model``: explicit values, then ``listing``, then the table."""
    spec = lookup(model)
    window = context_window
    if window is None and listing is not None:
        window = listing.context_length
    if window is None:
        window = spec.context_window if spec is not None else DEFAULT_CONTEXT_WINDOW

    calling = is_function_calling_model
    if calling is None and listing is not None and listing.supported_features is not None:
        calling = listing.supports("tools")
    if calling is None:
        calling = spec.function_calling if spec is not None else True

    return LLMMetadata(
        context_window=window,
        num_output=max_tokens if max_tokens is not None else DEFAULT_NUM_OUTPUTS,
        is_chat_model=is_chat_model,
        is_function_calling_model=calling,
        model_name=model,
        system_role=MessageRole.SYSTEM,
    )
