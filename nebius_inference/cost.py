"""Usage and cost: a reply's token ``usage`` and its model's price, turned into money.

Prices come from the verbose model listing (``GET /v1/models?verbose=true``), whose
``pricing`` gives US dollars **per token** as decimal strings. Everything here is
:class:`~decimal.Decimal`, never ``float``, so a bill adds up to the last digit. Batch API
requests cost :data:`BATCH_PRICE_FACTOR` (half) of the listed price.

Example::

    from nebius_inference import NebiusClient
    from nebius_inference.cost import get_prices

    client = NebiusClient()
    reply = client.create_chat_completion(model=model, messages=messages)
    cost = get_prices(client).cost(reply.model, reply.usage)  # a Decimal; None if unpriced

:func:`get_prices` reads the listing once per client and keeps it while the client lives
(:func:`aget_prices` is the async twin). A model the listing gives no price for has no cost:
``cost(...)`` returns ``None`` and :class:`CostTracker` lists it in ``unpriced_models``
instead of counting it as free. :class:`CostTracker` adds up requests, tokens and cost per
model, thread-safely; the LangChain and LlamaIndex handlers are built on it.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, cast
from weakref import WeakKeyDictionary

from ._client import AsyncNebiusClient, NebiusClient
from ._errors import NebiusError
from .types import Model, Usage

__all__ = [
    "BATCH_PRICE_FACTOR",
    "CostTracker",
    "ModelCost",
    "ModelPrice",
    "PriceTable",
    "afetch_prices",
    "aget_prices",
    "fetch_prices",
    "get_prices",
    "price_of",
    "price_source",
]

BATCH_PRICE_FACTOR = Decimal("0.5")
"""What a Batch API request costs, as a fraction of the listed price."""

_PRECISION = 60  # digits: products of per-token prices and token counts stay exact


# ============================================================================================
# Prices (pure)
# ============================================================================================


def _amount(value: Any) -> Decimal | None:
    """A listed price as a ``Decimal``; None when absent or not a finite, non-negative number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)  # the shortest decimal that reads back as this float
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


@dataclass(frozen=True)
class ModelPrice:
    """A model's price in US dollars: per prompt token, per completion token (reasoning
    tokens are completion tokens), and per request (usually zero)."""

    prompt: Decimal
    completion: Decimal
    request: Decimal = Decimal(0)

    def cost(
        self, prompt_tokens: int, completion_tokens: int, *, requests: int = 1, batch: bool = False
    ) -> Decimal:
        """The exact cost of ``requests`` requests that used these tokens in all (at the Batch
        API's price if ``batch``)."""
        for name, count in (
            ("prompt_tokens", prompt_tokens),
            ("completion_tokens", completion_tokens),
            ("requests", requests),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {count!r}.")
        with localcontext() as context:
            context.prec = _PRECISION
            total = (
                prompt_tokens * self.prompt
                + completion_tokens * self.completion
                + requests * self.request
            )
            return total * BATCH_PRICE_FACTOR if batch else total


def price_of(model: Model) -> ModelPrice | None:
    """The price in ``model.pricing`` (the verbose listing's entry), or None when it has no
    usable prompt and completion price. Pure."""
    pricing = model.pricing or {}
    prompt, completion = _amount(pricing.get("prompt")), _amount(pricing.get("completion"))
    if prompt is None or completion is None:
        return None
    return ModelPrice(prompt, completion, _amount(pricing.get("request")) or Decimal(0))


class PriceTable(Mapping[str, ModelPrice]):
    """The price of every priced model, by model id (case-sensitive); read-only."""

    def __init__(self, prices: Mapping[str, ModelPrice], *, unpriced: Iterable[str] = ()) -> None:
        self._prices = dict(prices)
        self.unpriced: frozenset[str] = frozenset(unpriced) - self._prices.keys()
        """Models the listing names without a usable price."""

    @classmethod
    def from_models(cls, models: Iterable[Model]) -> PriceTable:
        """The table of a model listing (``client.list_models(verbose=True).data``). Pure."""
        prices: dict[str, ModelPrice] = {}
        unpriced: list[str] = []
        for model in models:
            price = price_of(model)
            if price is None:
                unpriced.append(model.id)
            else:
                prices[model.id] = price
        return cls(prices, unpriced=unpriced)

    def __getitem__(self, model: str) -> ModelPrice:
        return self._prices[model]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __len__(self) -> int:
        return len(self._prices)

    def __repr__(self) -> str:
        return f"PriceTable({len(self._prices)} priced, {len(self.unpriced)} unpriced)"

    def cost(self, model: str, usage: Usage | None, *, batch: bool = False) -> Decimal | None:
        """The cost of one request's ``usage`` (a reply's ``usage``), or None when the model
        has no price or the reply no usage."""
        price = self._prices.get(model)
        if price is None or usage is None:
            return None
        return price.cost(usage.prompt_tokens, usage.completion_tokens, batch=batch)


# ============================================================================================
# Reading the prices: one request per client
# ============================================================================================


def price_source(
    client: NebiusClient | None = None, prices: PriceTable | None = None
) -> PriceTable | Callable[[], PriceTable]:
    """Where a tracker gets its prices: ``prices`` if given, else ``client``'s cached prices,
    else prices read once with a client configured from the environment (``NEBIUS_API_KEY``,
    ``NEBIUS_BASE_URL``). Checks the arguments; sends nothing."""
    given = cast("object", prices)  # checked at run time: annotations are not enforced
    if given is not None:
        if not isinstance(given, PriceTable):
            raise TypeError(
                f"prices must be a PriceTable (from get_prices(client)), "
                f"not {type(given).__name__}."
            )
        return given
    given = cast("object", client)
    if given is None:
        return _prices_from_environment
    if isinstance(given, AsyncNebiusClient):
        raise TypeError(
            "client must be a NebiusClient; with an AsyncNebiusClient, read the prices first "
            "and pass them: prices=await aget_prices(client)."
        )
    if not isinstance(given, NebiusClient):
        raise TypeError(f"client must be a NebiusClient, not {type(given).__name__}.")
    return lambda: get_prices(given)


def _prices_from_environment() -> PriceTable:
    with NebiusClient() as client:
        return fetch_prices(client)


def fetch_prices(client: NebiusClient) -> PriceTable:
    """Read the prices from the verbose model listing (one request, not cached)."""
    return PriceTable.from_models(client.list_models(verbose=True).data)


async def afetch_prices(client: AsyncNebiusClient) -> PriceTable:
    """The async twin of :func:`fetch_prices`."""
    return PriceTable.from_models((await client.list_models(verbose=True)).data)


_guard = threading.Lock()
_prices: WeakKeyDictionary[NebiusClient | AsyncNebiusClient, PriceTable] = WeakKeyDictionary()
_locks: WeakKeyDictionary[NebiusClient, threading.Lock] = WeakKeyDictionary()
_alocks: WeakKeyDictionary[AsyncNebiusClient, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    WeakKeyDictionary()
)


def _cached(client: NebiusClient | AsyncNebiusClient) -> PriceTable | None:
    with _guard:
        return _prices.get(client)


def _cache(client: NebiusClient | AsyncNebiusClient, table: PriceTable) -> PriceTable:
    with _guard:
        _prices[client] = table
    return table


def get_prices(client: NebiusClient, *, refresh: bool = False) -> PriceTable:
    """The prices, read once per client (the first call sends one request; threads that ask
    meanwhile wait for it). ``refresh=True`` reads them again. The cache does not keep the
    client alive."""
    with _guard:
        lock = _locks.setdefault(client, threading.Lock())
    with lock:
        table = None if refresh else _cached(client)
        if table is None:
            table = _cache(client, fetch_prices(client))
        return table


async def aget_prices(client: AsyncNebiusClient, *, refresh: bool = False) -> PriceTable:
    """The async twin of :func:`get_prices` (tasks that ask meanwhile wait for the one
    request)."""
    loop = asyncio.get_running_loop()
    with _guard:
        held = _alocks.get(client)
        if held is None or held[0] is not loop:
            held = _alocks[client] = (loop, asyncio.Lock())
    async with held[1]:
        table = None if refresh else _cached(client)
        if table is None:
            table = _cache(client, await afetch_prices(client))
        return table


# ============================================================================================
# Adding up
# ============================================================================================


@dataclass(frozen=True)
class ModelCost:
    """One model's totals in a :class:`CostTracker`.

    ``cost`` is the exact cost of the requests whose usage is known, or None when the model
    has no price. ``unmetered_requests`` counts requests whose reply carried no usage (their
    cost is unknown, so ``complete`` is False).
    """

    model: str
    requests: int = 0
    batch_requests: int = 0
    unmetered_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal | None = Decimal(0)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def complete(self) -> bool:
        """Whether ``cost`` covers every request (priced model, usage on every reply)."""
        return self.cost is not None and self.unmetered_requests == 0


PriceSource = PriceTable | Callable[[], PriceTable]


@dataclass(eq=False)
class CostTracker:
    """Requests, tokens and cost per model, added up from replies; thread-safe.

    ``prices`` is a :class:`PriceTable` or a function that returns one, called the first
    time a reply is added (for example ``lambda: get_prices(client)``). If that function
    raises a :class:`~nebius_inference.NebiusError`, the error is kept in ``pricing_error``
    and every model counts as unpriced. ``parent`` (another tracker) is told of every reply
    too, so nested trackers both add up what happens inside the inner one.
    """

    prices: PriceSource | None = None
    parent: CostTracker | None = None
    pricing_error: NebiusError | None = field(default=None, init=False)
    _table: PriceTable | None = field(default=None, init=False, repr=False)
    _totals: dict[str, ModelCost] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _price_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def price_table(self) -> PriceTable:
        """The prices (loaded on first use; empty if there are none or loading failed)."""
        with self._price_lock:
            if self._table is None:
                source = self.prices
                try:
                    self._table = (
                        source if isinstance(source, PriceTable) or source is None else source()
                    ) or PriceTable({})
                except NebiusError as exc:
                    self.pricing_error = exc
                    self._table = PriceTable({})
            return self._table

    def add(
        self, model: str, usage: Usage | None, *, batch: bool = False, reasoning: int | None = None
    ) -> Decimal | None:
        """Count one request of ``model`` with its reply's ``usage`` (None if the reply had
        none) at the listed or the Batch API price; returns its cost, None if unknown.
        ``reasoning`` overrides the reasoning tokens read from ``usage``."""
        table = self.price_table()
        cost = table.cost(model, usage, batch=batch)
        priced = model in table
        with self._lock:
            old = self._totals.get(model, ModelCost(model))
            if usage is None:
                new = ModelCost(
                    model,
                    old.requests + 1,
                    old.batch_requests + batch,
                    old.unmetered_requests + 1,
                    old.prompt_tokens,
                    old.completion_tokens,
                    old.reasoning_tokens,
                    old.cost if priced else None,
                )
            else:
                thought = usage.reasoning if reasoning is None else reasoning
                new = ModelCost(
                    model,
                    old.requests + 1,
                    old.batch_requests + batch,
                    old.unmetered_requests,
                    old.prompt_tokens + usage.prompt_tokens,
                    old.completion_tokens + usage.completion_tokens,
                    old.reasoning_tokens + (thought or 0),
                    None if cost is None or old.cost is None else old.cost + cost,
                )
            self._totals[model] = new
        if self.parent is not None:
            self.parent.add(model, usage, batch=batch, reasoning=reasoning)
        return cost

    def reset(self) -> None:
        """Forget every count (the prices are kept)."""
        with self._lock:
            self._totals.clear()

    @property
    def by_model(self) -> dict[str, ModelCost]:
        """Each model's totals, in the order the models were first seen."""
        with self._lock:
            return dict(self._totals)

    def _sum(self, name: str) -> int:
        return sum(getattr(totals, name) for totals in self.by_model.values())

    @property
    def requests(self) -> int:
        return self._sum("requests")

    @property
    def prompt_tokens(self) -> int:
        return self._sum("prompt_tokens")

    @property
    def completion_tokens(self) -> int:
        return self._sum("completion_tokens")

    @property
    def reasoning_tokens(self) -> int:
        return self._sum("reasoning_tokens")

    @property
    def total_tokens(self) -> int:
        return self._sum("total_tokens")

    @property
    def unpriced_models(self) -> list[str]:
        """Models counted without a price (their cost is unknown, not zero)."""
        return [model for model, totals in self.by_model.items() if totals.cost is None]

    @property
    def known_cost(self) -> Decimal:
        """The cost of everything whose price and usage are known."""
        return sum(
            (totals.cost for totals in self.by_model.values() if totals.cost is not None),
            Decimal(0),
        )

    @property
    def total_cost(self) -> Decimal | None:
        """The whole cost, or None when part of it is unknown (an unpriced model, a reply
        without usage): then :attr:`known_cost` is the part that is known."""
        totals = self.by_model.values()
        return self.known_cost if all(t.complete for t in totals) else None

    def __str__(self) -> str:
        """The bill: one line per model, then the totals."""
        rows = [("model", "requests", "prompt", "completion", "reasoning", "cost (USD)")]
        for t in self.by_model.values():
            cost = "no price" if t.cost is None else format(t.cost, "f")
            if t.unmetered_requests and t.cost is not None:
                cost += f" + {t.unmetered_requests} without usage"
            batch = f" ({t.batch_requests} batch)" if t.batch_requests else ""
            rows.append(
                (
                    t.model,
                    f"{t.requests}{batch}",
                    str(t.prompt_tokens),
                    str(t.completion_tokens),
                    str(t.reasoning_tokens),
                    cost,
                )
            )
        total = self.total_cost
        rows.append(
            (
                "total",
                str(self.requests),
                str(self.prompt_tokens),
                str(self.completion_tokens),
                str(self.reasoning_tokens),
                format(self.known_cost, "f") + ("" if total is not None else " (incomplete)"),
            )
        )
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = [
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
            for row in rows
        ]
        if self.pricing_error is not None:
            lines.append(f"prices unavailable: {self.pricing_error}")
        return "\n".join(lines)
