"""``NebiusImageGenerationTool``: a LangChain tool that generates images on Nebius.

The retrieval tools live in :mod:`langchain_nebius.retrievers` and are importable from here
too, where the official package has them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict, override

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

ImageFormat = Literal["png", "jpg", "webp"]
_MIME_TYPES: dict[str, str] = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


class ImageGenerationInput(BaseModel):
    """The arguments the model fills in. Bounds follow the API, so bad values fail before any
    request is sent."""

    prompt: str = Field(min_length=1, max_length=2000, description="What the image shows.")
    negative_prompt: str | None = Field(
        default=None, max_length=2000, description="What the image must not show."
    )
    width: int = Field(default=512, ge=64, le=2048, description="Width in pixels (64-2048).")
    height: int = Field(default=512, ge=64, le=2048, description="Height in pixels (64-2048).")
    num_inference_steps: int | None = Field(
        default=None, ge=1, le=80, description="Denoising steps (1-80); more is slower."
    )
    seed: int | None = Field(
        default=None, ge=-1, description="Seed for a reproducible image (-1: random)."
    )
    format: ImageFormat = Field(default="png", description="Image file format.")


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
    """Generate an image from a text prompt with a Nebius image model (FLUX and others).

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

    model: str = "black-forest-labs/flux-schnell"
    """Image model id."""
    save_dir: str | None = None
    """When set, each image is also written to this folder (created if needed)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body fields for every request (``guidance_scale``, ``loras``...)."""

    def _params(self, args: ImageGenerationInput) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "prompt": args.prompt,
            "width": args.width,
            "height": args.height,
            "response_extension": args.format,
            "response_format": "b64_json",
            **self.model_kwargs,
        }
        optional = {
            "negative_prompt": args.negative_prompt,
            "num_inference_steps": args.num_inference_steps,
            "seed": args.seed,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        return params

    def _target(self, reply: ImagesResponse, args: ImageGenerationInput) -> Path | None:
        if self.save_dir is None:
            return None
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", reply.id or "")[:40].strip("-")
        name = f"nebius-{stem or uuid.uuid4().hex[:12]}-{uuid.uuid4().hex[:6]}.{args.format}"
        return Path(self.save_dir) / name

    @staticmethod
    def _save(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _answer(
        self, args: ImageGenerationInput, data: bytes, path: Path | None
    ) -> tuple[str, ImageArtifact]:
        artifact = ImageArtifact(
            data=data,
            mime_type=_MIME_TYPES[args.format],
            format=args.format,
            width=args.width,
            height=args.height,
            path=str(path) if path is not None else None,
            model=self.model,
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

    @staticmethod
    def _image_bytes(reply: ImagesResponse) -> bytes:
        if not reply.data:
            raise ValueError("The API returned no image; try again or change the prompt.")
        return reply.data[0].decode()

    @override
    def _run(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = 512,
        height: int = 512,
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
        with translate_errors():
            reply = self._get_client().generate_images(self._params(args))
        data = self._image_bytes(reply)
        path = self._target(reply, args)
        if path is not None:
            self._save(path, data)
        return self._answer(args, data, path)

    @override
    async def _arun(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        width: int = 512,
        height: int = 512,
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
        with translate_errors():
            reply = await self._get_async_client().generate_images(self._params(args))
        data = self._image_bytes(reply)
        path = self._target(reply, args)
        if path is not None:
            await asyncio.to_thread(self._save, path, data)
        return self._answer(args, data, path)
