"""``NebiusImageToolSpec``: image generation as a LlamaIndex tool spec (for agents)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path
from typing import Any, Literal

from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.tools.types import ToolMetadata
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient, Secret
from nebius_inference.types import ImagesResponse

from ._common import ClientPair

__all__ = ["DEFAULT_IMAGE_MODEL", "GenerateImageArgs", "NebiusImageToolSpec"]

DEFAULT_IMAGE_MODEL = "black-forest-labs/flux-schnell"

ImageFormat = Literal["png", "jpg", "jpeg", "webp"]
_MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_MIN_SIDE, _MAX_SIDE = 64, 2048


class GenerateImageArgs(BaseModel):
    """The arguments an agent gives ``generate_image`` (with the API's limits)."""

    prompt: str = Field(
        description="What the image should show, in detail.", min_length=1, max_length=2000
    )
    negative_prompt: str | None = Field(
        default=None, description="What the image should not show.", max_length=2000
    )
    width: int = Field(default=1024, ge=_MIN_SIDE, le=_MAX_SIDE, description="Width in pixels.")
    height: int = Field(default=1024, ge=_MIN_SIDE, le=_MAX_SIDE, description="Height in pixels.")
    num_inference_steps: int | None = Field(
        default=None, ge=1, le=80, description="Denoising steps (more is slower and finer)."
    )
    seed: int | None = Field(
        default=None, ge=-1, description="Fix it to make the result reproducible."
    )
    format: Literal["png", "jpg", "webp"] = Field(default="png", description="File format.")


_TOOL_DESCRIPTION = (
    "Generate images from a text description with a text-to-image model. Returns the "
    "images. Describe the subject, style and composition in the prompt."
)


class NebiusImageToolSpec(BaseToolSpec):
    """Generate images with a Nebius text-to-image model (default ``flux-schnell``).

    >>> from llama_index.core.agent.workflow import FunctionAgent
    >>> tools = NebiusImageToolSpec().to_tool_list()
    >>> agent = FunctionAgent(tools=tools, llm=NebiusLLM())

    ``generate_image`` returns ``ImageBlock``s holding the image bytes; agents receive them as
    tool output. Nothing is written to disk unless ``save_dir`` is set; then each image is
    also saved there and its block carries the ``path``. The tool has an async twin,
    ``agenerate_image``, which agents use when they run asynchronously.
    """

    spec_functions: list[SPEC_FUNCTION_TYPE] = ["generate_image"]
    _async_twins = {"generate_image": "agenerate_image"}

    def __init__(
        self,
        model: str = DEFAULT_IMAGE_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        save_dir: str | Path | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
    ) -> None:
        self.model = model
        self.save_dir = Path(save_dir) if save_dir is not None else None
        settings: dict[str, Any] = {
            "api_key": Secret(api_key) if api_key is not None else None,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._clients = ClientPair.build(settings, client, async_client)

    @property
    def client(self) -> NebiusClient:
        """The sync core client."""
        return self._clients.sync

    @property
    def async_client(self) -> AsyncNebiusClient:
        """The async core client."""
        return self._clients.async_

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, save_dir={self.save_dir!r})"

    def __reduce__(self) -> Any:
        raise TypeError(f"{type(self).__name__} holds an API key and cannot be pickled.")

    # -- the tool ------------------------------------------------------------------------------

    def generate_image(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = 1024,
        height: int = 1024,
        num_inference_steps: int | None = None,
        seed: int | None = None,
        format: ImageFormat = "png",
    ) -> list[ImageBlock]:
        """Generate an image from a text description.

        Args:
            prompt (str): what the image should show, in detail (at most 2000 characters).
            negative_prompt (str): what the image should not show.
            width (int): image width in pixels, from 64 to 2048.
            height (int): image height in pixels, from 64 to 2048.
            num_inference_steps (int): denoising steps, from 1 to 80 (more is slower, finer).
            seed (int): a number to make the result reproducible; -1 or empty for random.
            format (str): the image file format: png, jpg or webp.
        """
        body = self._body(prompt, negative_prompt, width, height, num_inference_steps, seed, format)
        blocks = self._blocks(self.client.generate_images(body), body["response_extension"])
        for index, block in enumerate(blocks):
            self._save(block, index)
        return blocks

    async def agenerate_image(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = 1024,
        height: int = 1024,
        num_inference_steps: int | None = None,
        seed: int | None = None,
        format: ImageFormat = "png",
    ) -> list[ImageBlock]:
        """Async twin of :meth:`generate_image`."""
        body = self._body(prompt, negative_prompt, width, height, num_inference_steps, seed, format)
        reply = await self.async_client.generate_images(body)
        blocks = self._blocks(reply, body["response_extension"])
        for index, block in enumerate(blocks):
            await asyncio.to_thread(self._save, block, index)
        return blocks

    @override
    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """Tools for agents: ``generate_image`` with its async twin wired in and a schema
        that carries the API's limits (so models propose valid sizes)."""
        names = spec_functions or self.spec_functions
        twinned: list[SPEC_FUNCTION_TYPE] = [
            (n, self._async_twins[n]) if isinstance(n, str) and n in self._async_twins else n
            for n in names
        ]
        metadata = {
            "generate_image": ToolMetadata(
                name="generate_image",
                description=_TOOL_DESCRIPTION,
                fn_schema=GenerateImageArgs,
            ),
            **(func_to_metadata_mapping or {}),
        }
        return super().to_tool_list(twinned, metadata)

    # -- helpers -------------------------------------------------------------------------------

    def _body(
        self,
        prompt: str,
        negative_prompt: str | None,
        width: int,
        height: int,
        steps: int | None,
        seed: int | None,
        image_format: str,
    ) -> dict[str, Any]:
        """The request body; sizes and format are checked before anything is sent."""
        for name, value in (("width", width), ("height", height)):
            if not _MIN_SIDE <= value <= _MAX_SIDE:
                raise ValueError(
                    f"{name} must be between {_MIN_SIDE} and {_MAX_SIDE} pixels, got {value}."
                )
        extension = "jpg" if image_format.lower() == "jpeg" else image_format.lower()
        if extension not in _MIME:
            raise ValueError(f"format must be png, jpg or webp, got {image_format!r}.")
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "width": width,
            "height": height,
            "response_extension": extension,
            "response_format": "b64_json",
        }
        optional = {
            "negative_prompt": negative_prompt,
            "num_inference_steps": steps,
            "seed": seed,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body

    @staticmethod
    def _blocks(reply: ImagesResponse, extension: str) -> list[ImageBlock]:
        blocks: list[ImageBlock] = []
        for image in reply.data:
            if image.b64_json is not None:
                blocks.append(
                    ImageBlock(
                        image=image.b64_json.encode("ascii"), image_mimetype=_MIME[extension]
                    )
                )
            elif image.url is not None:
                blocks.append(ImageBlock(url=image.url, image_mimetype=_MIME[extension]))
        if not blocks:
            raise ValueError("The image API returned no image.")
        return blocks

    def _save(self, block: ImageBlock, index: int) -> None:
        if self.save_dir is None or block.image is None:
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        extension = {v: k for k, v in _MIME.items()}[block.image_mimetype or "image/png"]
        path = self.save_dir / f"nebius-{uuid.uuid4().hex[:12]}-{index}.{extension}"
        assert isinstance(block.image, bytes)
        path.write_bytes(base64.b64decode(block.image))
        block.path = path
