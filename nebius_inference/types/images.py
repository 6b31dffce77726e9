"""Image generation: ``POST /v1/images/generations``."""

from __future__ import annotations

import base64
from typing import Any, Literal, TypedDict

from pydantic import Field, field_validator

from ._base import APIResponse, RequestModel, ResponseModel

__all__ = [
    "GeneratedImage",
    "ImageGenerationParams",
    "ImageGenerationRequest",
    "ImagesResponse",
]


class ImageGenerationRequest(RequestModel):
    """Sizes and counts follow the API's documented limits, so bad values fail before sending."""

    model: str = Field(min_length=1)
    prompt: str = Field(min_length=1, max_length=2000)
    width: int | None = Field(default=None, ge=64, le=2048)
    height: int | None = Field(default=None, ge=64, le=2048)
    num_inference_steps: int | None = Field(default=None, ge=1, le=80)
    seed: int | None = Field(default=None, ge=-1)
    guidance_scale: float | None = None
    negative_prompt: str | None = Field(default=None, max_length=2000)
    response_extension: Literal["webp", "jpg", "png"] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    loras: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=10)

    @field_validator("response_extension", mode="before")
    @classmethod
    def _jpeg_is_jpg(cls, value: object) -> object:
        if isinstance(value, str) and value.lower() == "jpeg":
            return "jpg"
        return value.lower() if isinstance(value, str) else value


class ImageGenerationParams(TypedDict, total=False):
    """The fields of :class:`ImageGenerationRequest` as keyword arguments, for type checkers
    and IDEs. Send any other field with ``extra_body={...}``."""

    model: str
    prompt: str
    width: int
    height: int
    num_inference_steps: int
    seed: int
    guidance_scale: float
    negative_prompt: str
    response_extension: Literal["webp", "jpg", "jpeg", "png"]
    response_format: Literal["url", "b64_json"]
    loras: list[dict[str, Any]]


class GeneratedImage(ResponseModel):
    b64_json: str | None = None
    url: str | None = None

    def decode(self) -> bytes:
        """The image bytes of a ``b64_json`` reply (fetch ``url`` replies yourself)."""
        if self.b64_json is None:
            raise ValueError("This image came as a URL; ask with response_format='b64_json'.")
        return base64.b64decode(self.b64_json)


class ImagesResponse(APIResponse):
    id: str | None = None
    created: int | None = None
    data: list[GeneratedImage] = Field(default_factory=list)
