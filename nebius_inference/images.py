"""Image generation helpers both image tools share: the API's limits, MIME types, the
request body, decoding, saving, and which model to use when none is named."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import BeforeValidator

from ._errors import ConfigurationError, InvalidRequestError
from .catalog import amodel_catalog, model_catalog
from .types import ImagesResponse

if TYPE_CHECKING:
    from ._client import AsyncNebiusClient, NebiusClient

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "MAX_PROMPT_CHARS",
    "MAX_SIDE",
    "MAX_STEPS",
    "MIME_TYPES",
    "MIN_SIDE",
    "ImageFormat",
    "ImageFormatArg",
    "aresolve_image_model",
    "decode_images",
    "image_request",
    "normalize_format",
    "resolve_image_model",
    "save_image",
]

ImageFormat = Literal["png", "jpg", "webp"]
MIME_TYPES: dict[str, str] = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
MIN_SIDE, MAX_SIDE = 64, 2048
MAX_PROMPT_CHARS = 2000
MAX_STEPS = 80
#: Width and height when the caller gives none (both tools).
DEFAULT_IMAGE_SIZE = 1024


def normalize_format(image_format: str) -> ImageFormat:
    """``png``, ``jpg`` or ``webp`` (``jpeg`` is ``jpg``, any case); anything else is an error."""
    value = image_format.lower()
    value = "jpg" if value == "jpeg" else value
    if value in MIME_TYPES:
        return cast("ImageFormat", value)
    raise InvalidRequestError(f"format must be png, jpg or webp, got {image_format!r}.")


def _lenient_format(value: object) -> object:
    """``jpeg`` and any case of a known format as the format; anything else is left for the
    field's own check to refuse."""
    if isinstance(value, str):
        lowered = value.lower()
        return "jpg" if lowered == "jpeg" else lowered
    return value


#: The ``format`` field of both image tools' argument schemas: the schema lists png, jpg and
#: webp; ``jpeg`` (which a model may well write) and any case are read as those.
ImageFormatArg = Annotated[ImageFormat, BeforeValidator(_lenient_format)]


def image_request(
    model: str,
    prompt: str,
    *,
    width: int = DEFAULT_IMAGE_SIZE,
    height: int = DEFAULT_IMAGE_SIZE,
    image_format: str = "png",
    negative_prompt: str | None = None,
    num_inference_steps: int | None = None,
    seed: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/images/generations`` (base64 reply), checked before sending."""
    for name, value in (("width", width), ("height", height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            raise InvalidRequestError(
                f"{name} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {value}."
            )
    if not 1 <= len(prompt) <= MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"prompt must be 1 to {MAX_PROMPT_CHARS} characters, got {len(prompt)}."
        )
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "width": width,
        "height": height,
        "response_extension": normalize_format(image_format),
        "response_format": "b64_json",
        **(extra or {}),
    }
    optional = {
        "negative_prompt": negative_prompt,
        "num_inference_steps": num_inference_steps,
        "seed": seed,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def decode_images(reply: ImagesResponse) -> list[bytes | str]:
    """Each image of ``reply``: its bytes (``b64_json``) or its URL; an error when empty."""
    images: list[bytes | str] = []
    for image in reply.data:
        if image.b64_json is not None:
            images.append(base64.b64decode(image.b64_json))
        elif image.url is not None:
            images.append(image.url)
    if not images:
        raise ValueError("The API returned no image; try again or change the prompt.")
    return images


def save_image(
    directory: str | Path, data: bytes, image_format: str, *, stem: str | None = None
) -> Path:
    """Write ``data`` to a new file in ``directory`` (created if needed); its path."""
    extension = normalize_format(image_format)
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", stem or "")[:40].strip("-")
    name = f"nebius-{clean or uuid.uuid4().hex[:12]}-{uuid.uuid4().hex[:6]}.{extension}"
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


_NO_IMAGE_MODEL = (
    "No image model given, and the model listing names none. Pass model=... with an image "
    "model your project can use (client.list_models(verbose=True) lists them)."
)


def resolve_image_model(client: NebiusClient, model: str | None) -> str:
    """``model``, or the first image model of ``client``'s listing (read once, cached)."""
    if model:
        return model
    found = model_catalog(client).first("image")
    if found is None:
        raise ConfigurationError(_NO_IMAGE_MODEL)
    return found


async def aresolve_image_model(client: AsyncNebiusClient, model: str | None) -> str:
    """The async twin of :func:`resolve_image_model`."""
    if model:
        return model
    found = (await amodel_catalog(client)).first("image")
    if found is None:
        raise ConfigurationError(_NO_IMAGE_MODEL)
    return found
