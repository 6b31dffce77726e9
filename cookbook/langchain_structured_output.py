"""Structured output with ChatNebius: replies parsed into pydantic objects.

    python cookbook/langchain_structured_output.py

``with_structured_output`` sends the JSON schema as ``guided_json`` by default, so the server
constrains generation to the schema; the reply is then validated on our side too.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from langchain_nebius import ChatNebius
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


class Movie(BaseModel):
    """A film mentioned in the text."""

    title: str = Field(description="The film's title.")
    year: int = Field(description="Year of release.")
    genres: list[str] = Field(description="One or more genres.")
    rating: Literal["G", "PG", "PG-13", "R"] = Field(description="The MPAA rating.")


class Sentiment(BaseModel):
    """The sentiment of a review."""

    label: Literal["positive", "negative", "neutral"]
    confidence: float = Field(ge=0, le=1, description="How sure, from 0 to 1.")


def main() -> None:
    llm = ChatNebius(model=MODEL, temperature=0)

    # 1. A pydantic model in, an instance of it out (method="guided_json" is the default).
    extractor = llm.with_structured_output(Movie)
    movie = extractor.invoke(
        "Extract the film from this text: Spirited Away is a 2001 animated fantasy film "
        "by Studio Ghibli, rated PG."
    )
    assert isinstance(movie, Movie)
    print("parsed:", repr(movie))
    print(f"movie: {movie.title} ({movie.year}), genres={movie.genres}, rating={movie.rating}")

    # 2. include_raw=True: get the raw AIMessage too, and a parsing error instead of an
    #    exception if the reply did not match the schema.
    classifier = llm.with_structured_output(Sentiment, include_raw=True)
    result = classifier.invoke("Classify this review: 'The pasta was cold and the staff rude.'")
    raw, parsed, error = result["raw"], result["parsed"], result["parsing_error"]
    print("raw reply text:", raw.content)
    print("include_raw parsed:", repr(parsed), "| parsing_error:", error)

    # 3. The same runnable works on many inputs at once.
    reviews = ["Loved every minute of it!", "It was fine, I guess.", "Never again."]
    for review, item in zip(reviews, classifier.batch(reviews)):
        print(f"batch: {review!r} -> {item['parsed']!r}")


if __name__ == "__main__":
    with live_or_emulated():
        main()
