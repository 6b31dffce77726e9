"""A tool-calling agent with LangGraph (via ``langchain.agents.create_agent``) and ChatNebius.

    python cookbook/langchain_agent.py

The agent loop: the model asks for tool calls, the tools run, their results go back to the
model, until it answers in plain text. With NEBIUS_API_KEY set it talks to Nebius; otherwise it
runs offline against the local emulator.
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_nebius import ChatNebius
from nebius_inference.testing import live_or_emulated

# Pick a model that supports tool calling (client.list_models(verbose=True) lists features).
MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"

_FORECASTS = {"paris": "light rain, 14 °C", "tokyo": "sunny, 22 °C", "lima": "cloudy, 18 °C"}


@tool
def get_weather(city: str) -> str:
    """Get today's weather forecast for a city."""
    return _FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def main() -> None:
    llm = ChatNebius(model=MODEL, temperature=0)
    agent = create_agent(
        llm,
        tools=[get_weather, multiply],
        system_prompt="You are a helpful assistant. Use the tools when they help.",
    )

    questions = [
        "What is the weather in Paris? Use get_weather.",
        "Use the multiply tool: what is multiply(6, 7)?",
        "Check get_weather for Tokyo and compute multiply(3, 4).",
    ]
    for question in questions:
        print(f"\nuser: {question}")
        state = agent.invoke({"messages": [("user", question)]})
        # The state holds the whole exchange: print the tool calls, results and final answer.
        for message in state["messages"]:
            if isinstance(message, AIMessage) and message.tool_calls:
                for call in message.tool_calls:
                    print(f"tool call: {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                print(f"tool result ({message.name}): {message.content}")
        print("final answer:", state["messages"][-1].content)


if __name__ == "__main__":
    with live_or_emulated():
        main()
