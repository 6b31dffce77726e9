"""What we know of each model: one table, read by both adapters and the emulator.

The table is a snapshot; the verbose model listing (``GET /v1/models?verbose=true``) is the
authority. :func:`model_catalog` / :func:`amodel_catalog` read it once per client and cache
it; :meth:`Catalog.facts` answers with the listing's entry first, then the table's. A ``-fast``
flavour is looked up under its own id only: its context window often differs from its base
model's, so nothing is assumed from the base model.

The context window of a model neither the listing nor the table knows is
:data:`FALLBACK_CONTEXT_WINDOW` (LlamaIndex's own conservative default), with one warning per
model that says how to set it. Both adapters apply this one rule (:func:`context_window`).
"""

from __future__ import annotations

import difflib
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from ._logs import logger
from .types import Model, ModelList

if TYPE_CHECKING:
    from ._client import AsyncNebiusClient, NebiusClient

__all__ = [
    "DEFAULT_CHAT_MODEL",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_RERANK_MODEL",
    "DEFAULT_VISION_MODEL",
    "FALLBACK_CONTEXT_WINDOW",
    "KNOWN_MODELS",
    "Catalog",
    "ModelFacts",
    "ModelKind",
    "amodel_catalog",
    "context_window",
    "facts_from_listing",
    "forget_catalog",
    "lookup",
    "model_catalog",
    "not_found_hint",
]

ModelKind = Literal["chat", "embedding", "rerank", "image"]

#: Context window assumed for a model that neither the listing nor the table knows.
FALLBACK_CONTEXT_WINDOW = 3_900


@dataclass(frozen=True)
class ModelFacts:
    """Facts about one model. ``None`` means unknown. Prices are USD per million tokens."""

    id: str
    kind: ModelKind = "chat"
    context_length: int | None = None
    max_output: int | None = None
    tools: bool = False
    vision: bool = False
    reasoning: bool = False
    json_mode: bool = False
    dimensions: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    source: Literal["table", "listing"] = "table"


# Evidence that these models are served (the public catalogue churns; check the listing):
# * Nebius disabled 28 text models on 2026-04-13 ("deprecation-info" page, cited in
#   nebius/token-factory-cookbook#29, 2026-07-12); anomalyco/models.dev#5802 (2026-08-29,
#   synced from the Token Factory model list) removed Llama-3.3-70B, Qwen2.5-VL, Qwen3-32B,
#   Hermes-4-70B and the -fast flavours, and kept openai/gpt-oss-120b and Hermes-4-405B at
#   131,072 tokens, Qwen3-30B at 262,144 and the embedding model at 40,960.
# * Chat default Qwen/Qwen3-235B-A22B-Instruct-2507: an instruct model (no reasoning tokens
#   spent before the answer) with tools and JSON mode, 262,144 tokens; kept by the
#   models.dev#5802 sync and the default of NeuroLink's Nebius guide. openai/gpt-oss-120b (a
#   reasoning model) was checked as current against the public models_info catalogue in
#   run-llama/llama_index#22667 and Portkey-AI/gateway#1765 (2026-08-13).
# * Embedding default Qwen/Qwen3-Embedding-8B: checked in the same two pull requests; the
#   default of nebius/langchain-nebius since 2026-04-22 (4,096 dimensions).
# * Rerank: Qwen/Qwen3-Reranker-8B is the model of Nebius's /v1/rerank reference.
# * Images: Helicone/helicone#5770 (2026-08-13) found no image model in the public catalogue,
#   so there is no default image model: the image tools take the first image model the
#   listing names, or ask for model=...
# * Vision: google/gemma-3-27b-it (110,000 tokens in models.dev's Nebius entry; image_url
#   parts as in the API research notes).
# Prices from models.dev's Nebius entries (USD per million tokens).
_TABLE: tuple[ModelFacts, ...] = (
    ModelFacts("openai/gpt-oss-120b", context_length=131_072, max_output=8_192, tools=True,
               reasoning=True, json_mode=True, input_price=0.15, output_price=0.60),
    ModelFacts("Qwen/Qwen3-235B-A22B-Instruct-2507", context_length=262_144, max_output=8_192,
               tools=True, json_mode=True, input_price=0.20, output_price=0.60),
    ModelFacts("Qwen/Qwen3-235B-A22B-Thinking-2507", context_length=262_144, max_output=32_768,
               tools=True, reasoning=True, json_mode=True),
    ModelFacts("Qwen/Qwen3-30B-A3B-Instruct-2507", context_length=262_144, max_output=8_192,
               tools=True, json_mode=True),
    ModelFacts("NousResearch/Hermes-4-405B", context_length=131_072, tools=True,
               reasoning=True, json_mode=True),
    ModelFacts("moonshotai/Kimi-K2.6", context_length=256_000, tools=True, vision=True,
               reasoning=True, json_mode=True, input_price=0.95, output_price=4.0),
    ModelFacts("google/gemma-3-27b-it", context_length=110_000, max_output=8_192, vision=True,
               input_price=0.10, output_price=0.30),
    ModelFacts("Qwen/Qwen3-Embedding-8B", kind="embedding", context_length=40_960,
               dimensions=4_096, input_price=0.01),
    ModelFacts("Qwen/Qwen3-Reranker-8B", kind="rerank", context_length=40_960),
)  # fmt: skip

#: The table, by model id.
KNOWN_MODELS: Mapping[str, ModelFacts] = {facts.id: facts for facts in _TABLE}

DEFAULT_CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
DEFAULT_EMBEDDING_MODEL = "Qwen/Qwen3-Embedding-8B"
DEFAULT_RERANK_MODEL = "Qwen/Qwen3-Reranker-8B"
DEFAULT_VISION_MODEL = "google/gemma-3-27b-it"


def lookup(model: str) -> ModelFacts | None:
    """The table's entry for ``model`` (exact id; a ``-fast`` flavour is its own entry)."""
    return KNOWN_MODELS.get(model)


_KINDS: tuple[tuple[str, ModelKind], ...] = (
    ("->embedding", "embedding"),
    ("->score", "rerank"),
    ("->image", "image"),
)


def _kind(entry: Model) -> ModelKind:
    modality = str((entry.architecture or {}).get("modality") or "")
    return next((kind for suffix, kind in _KINDS if modality.endswith(suffix)), "chat")


def _per_million(value: Any) -> float | None:
    try:
        return round(float(value) * 1_000_000, 6) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def facts_from_listing(entry: Model) -> ModelFacts:
    """The facts of one verbose listing entry (what it does not say stays unknown)."""
    extra = entry.model_extra or {}
    dimensions = extra.get("dimensions")
    pricing = entry.pricing or {}
    modality = str((entry.architecture or {}).get("modality") or "")
    return ModelFacts(
        id=entry.id,
        kind=_kind(entry),
        context_length=entry.context_length,
        max_output=entry.max_output,
        tools=entry.supports("tools"),
        vision=entry.supports("vision") or "image->" in modality or "+image" in modality,
        reasoning=entry.supports("reasoning"),
        json_mode=entry.supports("json_mode"),
        dimensions=dimensions if isinstance(dimensions, int) else None,
        input_price=_per_million(pricing.get("prompt")),
        output_price=_per_million(pricing.get("completion")),
        source="listing",
    )


class Catalog:
    """The table, overlaid with a verbose model listing when one was read."""

    def __init__(self, listing: Iterable[Model] | None = None) -> None:
        self._listed = {m.id: facts_from_listing(m) for m in listing or ()}
        self.refreshed = listing is not None

    def facts(self, model: str) -> ModelFacts | None:
        """The listing's facts for ``model``; the table's where the listing gives no
        context length (or does not list the model)."""
        listed = self._listed.get(model)
        known = lookup(model)
        if listed is None:
            return known
        if listed.context_length is None and known is not None:
            return replace(listed, context_length=known.context_length)
        return listed

    def models(self, kind: ModelKind | None = None) -> list[ModelFacts]:
        """The listed models (the table's when nothing was read), of one kind if given."""
        pool = self._listed.values() if self.refreshed else KNOWN_MODELS.values()
        return [m for m in pool if kind is None or m.kind == kind]

    def closest(self, model: str, n: int = 3) -> list[str]:
        """The ids most like ``model`` (case-insensitive), best first: for a "did you mean"
        hint when the API does not know a model."""
        ids = {m.id.lower(): m.id for m in self.models()}
        found = difflib.get_close_matches(model.lower(), list(ids), n=n, cutoff=0.4)
        return [ids[key] for key in found]

    def first(self, kind: ModelKind) -> str | None:
        """The id of the first model of ``kind``, or ``None``."""
        found = self.models(kind)
        return found[0].id if found else None


def not_found_hint(model: str, listing: Iterable[Model]) -> str | None:
    """What to add to a 404 for a request naming ``model``, given the API's model listing:
    the closest listed ids, or ``None`` when the model is listed (the 404 is about something
    else)."""
    catalog = Catalog(listing)
    ids = [m.id for m in catalog.models()]
    if model in ids:
        return None
    close = catalog.closest(model)
    if close:
        return (
            f"`{model}` is not a model the API lists; the closest: "
            + ", ".join(f"`{c}`" for c in close)
            + "."
        )
    return f"`{model}` is not among the {len(ids)} models the API lists (see list_models())."


_warned: set[str] = set()
_warn_lock = threading.Lock()


def context_window(
    model: str, facts: ModelFacts | None, *, explicit: int | None = None, how_to_set: str
) -> int:
    """The context window to assume: ``explicit``, then the facts' context length, then
    :data:`FALLBACK_CONTEXT_WINDOW` with one warning per model naming ``how_to_set`` it."""
    if explicit is not None:
        return explicit
    if facts is not None and facts.context_length is not None:
        return facts.context_length
    with _warn_lock:
        first = model not in _warned
        _warned.add(model)
    if first:
        logger.warning(
            "The context window of model %r is unknown (it is not in the built-in table and "
            "the model listing gave none); assuming %s tokens. Set it with %s.",
            model,
            f"{FALLBACK_CONTEXT_WINDOW:,}",
            how_to_set,
        )
    return FALLBACK_CONTEXT_WINDOW


# --- the per-client cache ----------------------------------------------------------------

_cache: weakref.WeakKeyDictionary[Any, Catalog] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _cached(client: Any) -> Catalog | None:
    with _cache_lock:
        return _cache.get(client)


def _store(client: Any, listing: ModelList) -> Catalog:
    catalog = Catalog(listing.data)
    with _cache_lock:
        _cache[client] = catalog
    return catalog


def model_catalog(client: NebiusClient, *, refresh: bool = False) -> Catalog:
    """The catalogue as ``client`` sees it: one ``GET /v1/models?verbose=true`` the first
    time (or with ``refresh=True``), then the cached answer."""
    catalog = None if refresh else _cached(client)
    return catalog or _store(client, client.list_models(verbose=True))


async def amodel_catalog(client: AsyncNebiusClient, *, refresh: bool = False) -> Catalog:
    """The async twin of :func:`model_catalog`."""
    catalog = None if refresh else _cached(client)
    if catalog is None:
        catalog = _store(client, await client.list_models(verbose=True))
    return catalog


def forget_catalog(client: Any) -> None:
    """Drop ``client``'s cached listing (the next call reads it again)."""
    with _cache_lock:
        _cache.pop(client, None)
