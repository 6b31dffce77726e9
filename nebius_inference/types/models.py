"""Models: ``GET /v1/models`` (plain and ``verbose=true``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import APIResponse, ResponseModel

__all__ = ["Model", "ModelList"]


class Model(ResponseModel):
    """A model. The verbose listing fills the optional fields."""

    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    name: str | None = None
    description: str | None = None
    context_length: int | None = None
    max_output: int | None = None
    architecture: dict[str, Any] | None = None
    quantization: str | None = None
    pricing: dict[str, Any] | None = None
    per_request_limits: dict[str, Any] | None = None
    supported_features: list[str] | None = None
    reasoning: bool | None = None
    regions: list[str] | None = None

    def supports(self, feature: str) -> bool:
        """Whether the verbose listing names ``feature`` (``"tools"``, ``"reasoning"``, ...)."""
        features = self.supported_features or []
        return feature in features or (feature == "reasoning" and bool(self.reasoning))


class ModelList(APIResponse):
    object: str = "list"
    data: list[Model] = Field(default_factory=list)

    def get(self, model_id: str) -> Model | None:
        return next((m for m in self.data if m.id == model_id), None)
