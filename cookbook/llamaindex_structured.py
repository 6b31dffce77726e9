"""Structured prediction with NebiusLLM: replies parsed into pydantic objects.

    python cookbook/llamaindex_structured.py

``structured_predict`` sends the model's JSON schema as ``guided_json``, so the server
constrains generation to it; the reply is validated into the pydantic class on our side.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import asyncio

from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from llama_index_nebius import NebiusLLM
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


class Invoice(BaseModel):
    """An invoice found in a text."""

    vendor: str = Field(description="Who sent the invoice.")
    invoice_number: str = Field(description="The invoice identifier.")
    total: float = Field(description="Amount due, in euros.")
    paid: bool = Field(description="Whether it has been paid already.")


class Album(BaseModel):
    """A music album."""

    name: str
    artist: str
    year: int
    tracks: list[str] = Field(description="Song titles.")


def main() -> None:
    llm = NebiusLLM(model=MODEL, temperature=0)

    # A prompt template and its variables; the output class decides the reply's shape.
    prompt = PromptTemplate("Extract the invoice details from this email:\n{email}")
    email = (
        "Hello, please find our invoice attached. "
        "Vendor: Acme Tools; invoice number: INV-2041; total: 249.90; paid: no."
    )
    invoice = llm.structured_predict(Invoice, prompt, email=email)
    print("parsed:", repr(invoice))
    print(f"invoice: {invoice.invoice_number} from {invoice.vendor}, total {invoice.total:.2f}")

    # The async twin, with another schema (a nested list this time).
    album_prompt = PromptTemplate("Invent an album inspired by the movie {movie}.")
    album = asyncio.run(llm.astructured_predict(Album, album_prompt, movie="Blade Runner"))
    print("async parsed:", repr(album))
    print(f"album: {type(album).__name__} with {len(album.tracks)} tracks")


if __name__ == "__main__":
    with live_or_emulated():
        main()
