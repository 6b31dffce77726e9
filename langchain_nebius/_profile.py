"""A LangChain ``ModelProfile`` from the core's model catalogue (``nebius_inference.catalog``)."""

from __future__ import annotations

from langchain_core.language_models.model_profile import ModelProfile

from nebius_inference.catalog import ModelFacts, context_window

__all__ = ["profile_from_facts"]

# structured_output is False although with_structured_output works natively (guided_json):
# the API's guided decoding shapes the whole reply, so it cannot be combined with tool calls in
# one turn, and LangChain agents read this flag as "native structured output alongside tools".
# With False, create_agent(response_format=...) uses tool-based structured output, which works.
_HOW_TO_SET = "ChatNebius(profile={'max_input_tokens': ...}) or llm.refresh_profile()"


def profile_from_facts(model: str, facts: ModelFacts | None) -> ModelProfile:
    """The LangChain profile of ``model`` from the core's catalogue facts (an unknown model
    gets only the conservative context window)."""
    window = context_window(model, facts, how_to_set=_HOW_TO_SET)
    if facts is None:
        return ModelProfile(text_inputs=True, text_outputs=True, max_input_tokens=window)
    profile = ModelProfile(
        text_inputs=True,
        text_outputs=True,
        max_input_tokens=window,
        tool_calling=facts.tools,
        tool_choice=facts.tools,
        tool_call_streaming=facts.tools,
        structured_output=False,
        reasoning_output=facts.reasoning,
        image_inputs=facts.vision,
        image_url_inputs=facts.vision,
    )
    if facts.max_output is not None:
        profile["max_output_tokens"] = facts.max_output
    return profile
