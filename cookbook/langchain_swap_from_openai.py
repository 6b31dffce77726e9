"""Move LangChain code from OpenAI to Nebius by changing one line.

    python cookbook/langchain_swap_from_openai.py

``ChatNebius`` takes the same constructor names as ``ChatOpenAI`` (``model``, ``temperature``,
``max_tokens``, ``timeout``, ``max_retries``, ``api_key``, ``base_url``, ``model_kwargs``,
``extra_body``, ``streaming``, ``stream_usage``), so everything below the swap is ordinary
ChatOpenAI-style code: invoke, stream, bind_tools, with_structured_output.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from langchain_nebius import ChatNebius
from nebius_inference.testing import live_or_emulated


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(description="The city, e.g. San Francisco")


class Joke(BaseModel):
    """A joke to tell the user."""

    setup: str = Field(description="The question of the joke")
    punchline: str = Field(description="The answer that resolves the joke")


def main() -> None:
    # Before (with `from langchain_openai import ChatOpenAI`, reading OPENAI_API_KEY):
    #   llm = ChatOpenAI(model="gpt-4o-mini", temperature=0, max_tokens=200)
    # After (with `from langchain_nebius import ChatNebius`, reading NEBIUS_API_KEY):
    llm = ChatNebius(model="Qwen/Qwen3-235B-A22B-Instruct-2507", temperature=0, max_tokens=200)

    # invoke, with (role, content) tuples as ChatOpenAI accepts them
    reply = llm.invoke(
        [
            ("system", "You translate English to French."),
            ("human", "I love programming."),
        ]
    )
    print("invoke:", reply.content)

    # stream
    print("stream: ", end="", flush=True)
    for chunk in llm.stream("Tell me about the Eiffel Tower in two sentences."):
        print(chunk.content, end="", flush=True)
    print()

    # bind_tools: the model answers with tool calls in the standard .tool_calls list
    with_tools = llm.bind_tools([GetWeather])
    message = with_tools.invoke("What's the weather like in San Francisco? Call GetWeather.")
    assert isinstance(message, AIMessage)
    for call in message.tool_calls:
        print(f"tool call: {call['name']}({call['args']})")

    # with_structured_output: a pydantic instance back (Nebius defaults to guided_json; the
    # other methods, json_schema / json_mode / function_calling, are available as with OpenAI)
    joke = llm.with_structured_output(Joke).invoke("Tell me a joke about cats")
    print("structured:", repr(joke))


if __name__ == "__main__":
    with live_or_emulated():
        main()
