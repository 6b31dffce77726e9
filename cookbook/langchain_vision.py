"""Ask a vision model about a local image with ChatNebius.

    python cookbook/langchain_vision.py

The script draws a small PNG with Pillow in a temporary folder (so nothing binary lives in the
repository), then sends it inline as base64, in the two forms LangChain accepts: the standard
image content block and an OpenAI-style ``image_url`` data URL.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from langchain_core.messages import HumanMessage
from PIL import Image, ImageDraw

from langchain_nebius import ChatNebius
from nebius_inference.testing import live_or_emulated

VISION_MODEL = "google/gemma-3-27b-it"


def draw_image(path: Path) -> None:
    """A 160x120 picture: a yellow sun over a blue sea and a red boat."""
    image = Image.new("RGB", (160, 120), "skyblue")
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 10, 145, 45), fill="gold")
    draw.rectangle((0, 80, 160, 120), fill="navy")
    draw.polygon([(40, 78), (90, 78), (80, 90), (50, 90)], fill="red")
    image.save(path, format="PNG")


def main() -> None:
    llm = ChatNebius(model=VISION_MODEL, max_tokens=120)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "boat.png"
        draw_image(path)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        print(f"image: {path.name}, {path.stat().st_size} bytes, PNG 160x120")

    # 1. The standard (provider-independent) LangChain image block.
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Describe this picture in one sentence."},
            {"type": "image", "base64": data, "mime_type": "image/png"},
        ]
    )
    reply = llm.invoke([message])
    print("standard block:", reply.content)

    # 2. The OpenAI-style form, handy when porting ChatOpenAI code: an image_url data URL.
    message = HumanMessage(
        content=[
            {"type": "text", "text": "What colour is the boat?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        ]
    )
    reply = llm.invoke([message])
    print("image_url block:", reply.content)
    if reply.usage_metadata:
        print(f"usage: {reply.usage_metadata['input_tokens']} input tokens (text + image)")


if __name__ == "__main__":
    with live_or_emulated():
        main()
