"""Generate images with the LangChain ``NebiusImageGenerationTool`` and save them to files.

    python cookbook/langchain_image_generation.py

The tool is an ordinary LangChain tool: call it directly (below), or give it to an agent.
It answers with a short text for the model and the image bytes as the tool message's artifact;
with ``save_dir`` set it also writes each image to that folder.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from langchain_core.messages import ToolMessage
from PIL import Image

from langchain_nebius import NebiusImageGenerationTool
from nebius_inference.testing import live_or_emulated


def main() -> None:
    # Images are saved in a fresh temporary folder; use e.g. save_dir="generated" to keep them.
    save_dir = Path(tempfile.mkdtemp(prefix="nebius-images-"))
    # Without model=..., the tool uses the first image model the model listing names.
    tool = NebiusImageGenerationTool(save_dir=str(save_dir))

    # 1. Invoked with plain arguments, a tool returns only the text meant for the model.
    text = tool.invoke(
        {"prompt": "a lighthouse on a cliff at dawn, watercolour", "seed": 7, "width": 512}
    )
    print("tool text:", text)

    # 2. Invoked with a tool call (as an agent does), it returns a ToolMessage whose artifact
    #    holds the image bytes, MIME type, size and the saved path.
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "call-1",
            "name": tool.name,
            "args": {
                "prompt": "a red fox in fresh snow, photorealistic",
                "width": 768,
                "height": 512,
                "format": "webp",
                "negative_prompt": "blurry",
            },
        }
    )
    assert isinstance(message, ToolMessage)
    artifact = message.artifact
    print(
        f"artifact: {artifact['mime_type']} {artifact['width']}x{artifact['height']}, "
        f"{len(artifact['data'])} bytes"
    )
    print("saved to:", artifact["path"])

    # The files are real images: open them with Pillow.
    for path in sorted(save_dir.iterdir()):
        with Image.open(path) as image:
            print(f"file: {path.name}: {image.format} {image.width}x{image.height}")
    print(f"images are in {save_dir}")


if __name__ == "__main__":
    with live_or_emulated():
        main()
