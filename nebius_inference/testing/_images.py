"""Image generation: real PNG, JPEG or WebP pictures derived from the prompt and seed."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from ._errors import parse_body
from ._requests import ImageRequest

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["IMAGE_MEDIA_TYPES", "ImageStore", "generate_images", "render_image"]

IMAGE_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


class ImageStore:
    """Generated images kept for URL download, oldest evicted first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes) -> None:
        """Store an image under a file name such as ``text2img-<uuid>.webp``."""
        with self._lock:
            self._items[name] = data
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def get(self, name: str) -> bytes | None:
        """Return an image by file name."""
        with self._lock:
            return self._items.get(name)

    def clear(self) -> None:
        """Forget every image."""
        with self._lock:
            self._items.clear()


def render_image(prompt: str, seed: int, width: int, height: int, extension: str) -> bytes:
    """Return encoded image bytes: a gradient and a disc whose colours come from a hash."""
    digest = hashlib.blake2b(f"{seed}\x00{prompt}".encode(), digest_size=32).digest()
    corners = Image.new("RGB", (2, 2))
    for index, (x, y) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
        corners.putpixel((x, y), (digest[3 * index], digest[3 * index + 1], digest[3 * index + 2]))
    picture = corners.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    radius = max(4, min(width, height) // 4)
    cx = radius + digest[12] * max(1, width - 2 * radius) // 255
    cy = radius + digest[13] * max(1, height - 2 * radius) // 255
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=tuple(digest[14:17]))
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 80} if extension in ("jpg", "webp") else {}
    picture.save(out, format=_PIL_FORMATS[extension], **options)
    return out.getvalue()


def generate_images(state: EmulatorState, body: Any, base_url: str) -> dict[str, Any]:
    """Handle ``POST /v1/images/generations``."""
    request = parse_body(ImageRequest, body)
    state.models.require(request.model, "image", "/v1/images/generations")
    image_id = f"text2img-{state.new_uuid()}"
    seed = request.seed if request.seed >= 0 else 0
    key = f"{request.model}\x00{request.negative_prompt}\x00{request.prompt}"
    data = render_image(key, seed, request.width, request.height, request.response_extension)
    item: dict[str, Any]
    if request.response_format == "b64_json":
        item = {"b64_json": base64.b64encode(data).decode("ascii")}
    else:
        name = f"{image_id}.{request.response_extension}"
        state.images.put(name, data)
        item = {"url": f"{base_url.rstrip('/')}/v1/images/files/{name}"}
    return {"id": image_id, "data": [item]}
