"""Ask a vision model about a local image with NebiusLLM and LlamaIndex's ``ImageBlock``.

    python cookbook/llamaindex_vision.py

The script draws a small PNG with Pillow in a temporary folder (so nothing binary lives in the
repository) and sends it in a chat message, once from its path and once from bytes in memory.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock
from PIL import Image, ImageDraw

from llama_index_nebius import NebiusLLM
from nebius_inference.testing import live_or_emulated

VISION_MODEL = "google/gemma-3-27b-it"


def draw_chart() -> Image.Image:
    """A 200x120 bar chart with three bars: green, orange and purple."""
    image = Image.new("RGB", (200, 120), "white")
    draw = ImageDraw.Draw(image)
    for i, (height, colour) in enumerate([(60, "green"), (100, "orange"), (35, "purple")]):
        left = 20 + i * 60
        draw.rectangle((left, 115 - height, left + 40, 115), fill=colour)
    return image


def main() -> None:
    llm = NebiusLLM(model=VISION_MODEL, max_tokens=120)
    chart = draw_chart()

    # 1. An image file on disk: ImageBlock(path=...) reads and encodes it for you.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chart.png"
        chart.save(path)
        print(f"image: {path.name}, {path.stat().st_size} bytes, PNG 200x120")
        message = ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="Which bar in this chart is the tallest?"),
                ImageBlock(path=path, image_mimetype="image/png"),
            ],
        )
        reply = llm.chat([message])
    print("from path:", reply.message.content)

    # 2. Image bytes already in memory (downloaded, rendered...): ImageBlock(image=...).
    buffer = io.BytesIO()
    chart.save(buffer, format="JPEG", quality=85)
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What colours are the bars?"),
            ImageBlock(image=buffer.getvalue(), image_mimetype="image/jpeg"),
        ],
    )
    reply = llm.chat([message])
    print("from bytes:", reply.message.content)
    print(f"usage: {reply.additional_kwargs.get('prompt_tokens')} input tokens (text + image)")


if __name__ == "__main__":
    with live_or_emulated():
        main()
