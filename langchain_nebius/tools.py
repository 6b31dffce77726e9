"""``NebiusImageGenerationTool``: a LangChain tool that generates images on Nebius.

The retrieval tools live in :mod:`langchain_nebius.retrievers` and are importable from here
too, where the official package has them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict, override

from nebius_inference.images import (
    DEFAULT_IMAGE_SIZE,
    MAX_PROMPT_CHARS,
    MAX_SIDE,
    MAX_STEPS,
    MIME_TYPES,
    MIN_SIDE,
    ImageFormat,
    ImageFormatArg,
    aresolve_image_model,
    decode_images,
    image_request,
    resolve_image_model,
    save_image,
)
from nebius_inference.types import ImagesResponse

from ._common import NebiusClientMixin
from ._errors import translate_errors
from .retrievers import NebiusRetrievalTool, NebiusRetrievalToolInput, nebius_search

__all__ = [
    "ImageArtifact",
    "ImageGenerationInput",
    "NebiusImageGenerationTool",
    "NebiusRetrievalTool",
    "NebiusRetrievalToolInput",
    "nebius_search",
]


class ImageGenerationInput(BaseModel):
    """The arguments the model fills in. Bounds follow the API, so bad values fail before any
    request is sent."""

    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="What the image shows."
    )
    negative_prompt: str | None = Field(
        default=None, max_length=MAX_PROMPT_CHARS, description="What the image must not show."
    )
    width: int = Field(
        default=DEFAULT_IMAGE_SIZE, ge=MIN_SIDE, le=MAX_SIDE, description="Width in pixels."
    )
    height: int = Field(
        default=DEFAULT_IMAGE_SIZE, ge=MIN_SIDE, le=MAX_SIDE, description="Height in pixels."
    )
    num_inference_steps: int | None = Field(
        default=None, ge=1, le=MAX_STEPS, description="Denoising steps; more is slower."
    )
    seed: int | None = Field(
        default=None, ge=-1, description="Seed for a reproducible image (-1: random)."
    )
    format: ImageFormatArg = Field(default="png", description="Image file format.")


class ImageArtifact(TypedDict):
    """What the tool returns as its artifact (the model only sees the short text)."""

    data: bytes
    """The encoded image."""
    mime_type: str
    format: str
    width: int
    height: int
    path: str | None
    """Where the image was saved, when the tool has a ``save_dir``."""
    model: str
    prompt: str
    seed: int | None


class NebiusImageGenerationTool(NebiusClientMixin, BaseTool):
    """Generate an image from a text prompt with a Nebius image model.

    The tool answers with a short text for the model and the image as an artifact
    (``response_format="content_and_artifact"``): an :class:`ImageArtifact` dict with the
    bytes, MIME type, size and, when ``save_dir`` is set, the saved file's path.

    Example:
        .. code-block:: python

            from langchain_nebius import NebiusImageGenerationTool

            tool = NebiusImageGenerationTool(save_dir="images")
            message = tool.invoke(
                {"type": "tool_call", "id": "1", "name": tool.name,
                 "args": {"prompt": "a lighthouse at dawn", "width": 768, "height": 512}}
            )
            message.artifact["path"]
    """

    model_config = ConfigDict(
        hide_input_in_errors=True,
        populate_by_name=True,
        protected_namespaces=(),
        arbitrary_types_allowed=True,
    )

    name: str = "nebius_image_generation"
    description: str = (
        "Generate an image from a text description. Input: a detailed prompt, and optionally "
        "width, height (64-2048 pixels), a negative prompt, a seed and the format "
        "(png, jpg, webp). Returns a short description of the generated image."
    )
    args_schema: type[BaseModel] = ImageGenerationInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    model: str | None = None
    """Image model id; by default the first image model the model listing names (read once
    per client)."""
    save_dir: str | None = None
    """When set, each image is also written to this folder (created if needed)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body fields for every request (``guidance_scale``, ``loras``...)."""

    def _body(self, model: str, args: ImageGenerationInput) -> dict[str, Any]:
        return image_request(
            model,
            args.prompt,
            width=args.width,
            height=args.height,
            image_format=args.format,
            negative_prompt=args.negative_prompt,
            num_inference_steps=args.num_inference_steps,
            seed=args.seed,
            extra=self.model_kwargs,
        )

    def _answer(
        self, args: ImageGenerationInput, model: str, reply: ImagesResponse
    ) -> tuple[str, ImageArtifact]:
        data = decode_images(reply)[0]
        if not isinstance(data, bytes):
            raise ValueError("The API answered with a URL; the tool asks for base64 images.")
        path = None
        if self.save_dir is not None:
            path = save_image(self.save_dir, data, args.format, stem=reply.id)
        artifact = ImageArtifact(
            data=data,
            mime_type=MIME_TYPES[args.format],
            format=args.format,
            width=args.width,
            height=args.height,
            path=str(path) if path is not None else None,
            model=model,
            prompt=args.prompt,
            seed=args.seed,
        )
        text = (
            f"Generated a {args.width}x{args.height} {args.format.upper()} image "
            f"({len(data)} bytes) for the prompt {args.prompt!r}."
        )
        if path is not None:
            text += f" Saved to {path}."
        return text, artifact

    @override
    def _run(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = DEFAULT_IMAGE_SIZE,
        height: int = DEFAULT_IMAGE_SIZE,
        num_inference_steps: int | None = None,
        seed: int | None = None,
        format: ImageFormat = "png",
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, ImageArtifact]:
        args = ImageGenerationInput(
            prompt=prompt,
            negative_prompt=negative_prompt,
            width=width,
            height=height,
            num_inference_steps=num_inference_steps,
            seed=seed,
            format=format,
        )
        client = self._get_client()
        with translate_errors():
            model = resolve_image_model(client, self.model)
            reply = client.generate_images(self._body(model, args))
        return self._answer(args, model, reply)

    @override
    async def _arun(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = DEFAULT_IMAGE_SIZE,
        height: int = DEFAULT_IMAGE_SIZE,
        num_inference_steps: int | None = None,
        seed: int | None = None,
        format: ImageFormat = "png",
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, ImageArtifact]:
        args = ImageGenerationInput(
            prompt=prompt,
            negative_prompt=negative_prompt,
            width=width,
            height=height,
            num_inference_steps=num_inference_steps,
            seed=seed,
            format=format,
        )
        client = self._get_async_client()
        with translate_errors():
            model = await aresolve_image_model(client, self.model)
            reply = await client.generate_images(self._body(model, args))
        return await asyncio.to_thread(self._answer, args, model, reply)
