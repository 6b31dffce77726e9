"""``NebiusImageToolSpec``: image generation as a LlamaIndex tool spec (for agents)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any, Literal

from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.tools.types import ToolMetadata
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.images import (
    DEFAULT_IMAGE_SIZE,
    MAX_PROMPT_CHARS,
    MAX_SIDE,
    MAX_STEPS,
    MIME_TYPES,
    MIN_SIDE,
    ImageFormatArg,
    aresolve_image_model,
    decode_images,
    image_request,
    normalize_format,
    resolve_image_model,
    save_image,
)
from nebius_inference.settings import ClientSettings

from ._common import ClientPair

__all__ = ["GenerateImageArgs", "NebiusImageToolSpec"]

ImageFormat = Literal["png", "jpg", "jpeg", "webp"]


class GenerateImageArgs(BaseModel):
    """The arguments an agent gives ``generate_image`` (with the API's limits)."""

    prompt: str = Field(
        description="What the image should show, in detail.",
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
    )
    negative_prompt: str | None = Field(
        default=None, description="What the image should not show.", max_length=MAX_PROMPT_CHARS
    )
    width: int = Field(
        default=DEFAULT_IMAGE_SIZE, ge=MIN_SIDE, le=MAX_SIDE, description="Width in pixels."
    )
    height: int = Field(
        default=DEFAULT_IMAGE_SIZE, ge=MIN_SIDE, le=MAX_SIDE, description="Height in pixels."
    )
    num_inference_steps: int | None = Field(
        default=None, ge=1, le=MAX_STEPS, description="Denoising steps (more is slower, finer)."
    )
    seed: int | None = Field(
        default=None, ge=-1, description="Fix it to make the result reproducible."
    )
    format: ImageFormatArg = Field(default="png", description="File format.")


_TOOL_DESCRIPTION = (
    "Generate images from a text description with a text-to-image model. Returns the "
    "images. Describe the subject, style and composition in the prompt."
)


class NebiusImageToolSpec(BaseToolSpec):
    """Generate images with a Nebius text-to-image model (by default the first image model
    the model listing names, read once per client).

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
        model: str | None = None,
        *,
        save_dir: str | Path | None = None,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        **settings: Any,
    ) -> None:
        """``settings`` are the connection settings every Nebius class takes (``api_key``,
        ``base_url``, ``timeout``, ``max_retries``, ``stream_idle_timeout``,
        ``ai_project_id``, ``default_headers``, ``http_client``, ``async_http_client``)."""
        self.model = model
        self.save_dir = Path(save_dir) if save_dir is not None else None
        self._settings = ClientSettings.of(**settings)
        self._clients = ClientPair.build(self._settings, client, async_client)

    @property
    def client(self) -> NebiusClient:
        """The sync core client."""
        return self._clients.sync(self._get_settings)

    @property
    def async_client(self) -> AsyncNebiusClient:
        """The async core client."""
        return self._clients.async_(self._get_settings)

    def _get_settings(self) -> ClientSettings:
        return self._settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, save_dir={self.save_dir!r})"

    def __reduce__(self) -> Any:
        """Pickled without the key, the headers or the clients: the copy reads
        ``NEBIUS_API_KEY`` and opens its own connections."""
        return (_rebuild, (type(self), self.model, self.save_dir, self._settings.picklable()))

    # -- the tool ------------------------------------------------------------------------------

    def generate_image(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = DEFAULT_IMAGE_SIZE,
        height: int = DEFAULT_IMAGE_SIZE,
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
        model = resolve_image_model(self.client, self.model)
        body = self._body(model, prompt, negative_prompt, width, height, num_inference_steps, seed)
        body["response_extension"] = normalize_format(format)
        return self._blocks(self.client.generate_images(body), body["response_extension"])

    async def agenerate_image(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = DEFAULT_IMAGE_SIZE,
        height: int = DEFAULT_IMAGE_SIZE,
        num_inference_steps: int | None = None,
        seed: int | None = None,
        format: ImageFormat = "png",
    ) -> list[ImageBlock]:
        """Async twin of :meth:`generate_image`."""
        model = await aresolve_image_model(self.async_client, self.model)
        body = self._body(model, prompt, negative_prompt, width, height, num_inference_steps, seed)
        body["response_extension"] = normalize_format(format)
        reply = await self.async_client.generate_images(body)
        return await asyncio.to_thread(self._blocks, reply, body["response_extension"])

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

    @staticmethod
    def _body(
        model: str,
        prompt: str,
        negative_prompt: str | None,
        width: int,
        height: int,
        steps: int | None,
        seed: int | None,
    ) -> dict[str, Any]:
        """The request body; sizes are checked before anything is sent."""
        return image_request(
            model,
            prompt,
            width=width,
            height=height,
            negative_prompt=negative_prompt,
            num_inference_steps=steps,
            seed=seed,
        )

    def _blocks(self, reply: Any, extension: str) -> list[ImageBlock]:
        """One block per image (saved to ``save_dir`` when it is set)."""
        mime = MIME_TYPES[extension]
        blocks: list[ImageBlock] = []
        for image in decode_images(reply):
            if isinstance(image, str):
                blocks.append(ImageBlock(url=image, image_mimetype=mime))
                continue
            block = ImageBlock(image=base64.b64encode(image), image_mimetype=mime)
            if self.save_dir is not None:
                block.path = save_image(self.save_dir, image, extension)
            blocks.append(block)
        return blocks


def _rebuild(
    cls: type[NebiusImageToolSpec], model: str | None, save_dir: Path | None, settings: Any
) -> NebiusImageToolSpec:
    return cls(model, save_dir=save_dir, **settings)
