"""A tool-calling LlamaIndex ``FunctionAgent`` on NebiusLLM.

    python cookbook/llamaindex_agent.py

The agent loop: the model asks for tool calls, the tools run, their results go back to the
model, until it answers in plain text. The agent's event stream shows each step.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.tools import FunctionTool

from llama_index_nebius import NebiusLLM
from nebius_inference.testing import live_or_emulated

# Pick a model that supports tool calling (llm.metadata.is_function_calling_model says so).
MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"

_STOCK = {"espresso machine": 3, "grinder": 0, "milk jug": 25}


def check_stock(product: str) -> str:
    """How many units of a product are in stock."""
    count = _STOCK.get(product.strip().lower())
    return f"no product called {product!r}" if count is None else f"{count} in stock"


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


async def ask(agent: FunctionAgent, question: str) -> None:
    print(f"\nuser: {question}")
    handler = agent.run(user_msg=question)
    # Stream the agent's events to see each tool call and its result as they happen.
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"tool result ({event.tool_name}): {event.tool_output.content}")
        elif isinstance(event, ToolCall):
            print(f"tool call: {event.tool_name}({event.tool_kwargs})")
    response = await handler
    print("final answer:", response.response.content)


async def run() -> None:
    llm = NebiusLLM(model=MODEL, temperature=0)
    agent = FunctionAgent(
        # Plain typed functions with docstrings become tools; the schema comes from the types.
        tools=[FunctionTool.from_defaults(check_stock), FunctionTool.from_defaults(add)],
        llm=llm,
        system_prompt="You are a shop assistant. Use the tools to answer.",
    )
    await ask(agent, 'Is the product "grinder" available? Use check_stock.')
    await ask(agent, "What is add(2.5, 4)?")


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    with live_or_emulated():
        main()
