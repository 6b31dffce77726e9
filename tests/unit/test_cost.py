"""``nebius_inference.cost``: prices read from the listing, exact Decimal costs, the tracker."""

from __future__ import annotations

import threading
from decimal import Decimal, localcontext
from typing import Any

import pytest

from nebius_inference import AsyncNebiusClient, ConfigurationError, NebiusClient
from nebius_inference.cost import (
    BATCH_PRICE_FACTOR,
    CostTracker,
    ModelPrice,
    PriceTable,
    price_of,
    price_source,
)
from nebius_inference.types import Model, Usage

LLAMA = "meta-llama/Llama-3.3-70B-Instruct"
FREE = "acme/free-preview"
NO_PRICE = "acme/custom-lora"


def _model(model_id: str, pricing: Any) -> Model:
    return Model(id=model_id, pricing=pricing)


def _table() -> PriceTable:
    return PriceTable.from_models(
        [
            _model(LLAMA, {"prompt": "0.00000013", "completion": "0.0000004", "request": "0"}),
            _model(FREE, {"prompt": "0", "completion": "0"}),
            _model(NO_PRICE, None),
        ]
    )


def test_listed_prices_become_exact_decimals() -> None:
    price = price_of(_model(LLAMA, {"prompt": "0.00000013", "completion": "0.0000004"}))
    assert price == ModelPrice(Decimal("0.00000013"), Decimal("0.0000004"), Decimal(0))
    # A JSON number is read as the decimal it was written as, not its binary approximation.
    assert price_of(_model(LLAMA, {"prompt": 1.3e-07, "completion": 4e-07})) == price
    assert price_of(_model(LLAMA, {"prompt": "0.1", "completion": "0.2", "request": "0.003"})) == (
        ModelPrice(Decimal("0.1"), Decimal("0.2"), Decimal("0.003"))
    )


@pytest.mark.parametrize(
    "pricing",
    [
        None,
        {},
        {"prompt": "0.0000001"},
        {"prompt": None, "completion": None},
        {"prompt": "", "completion": "0.1"},
        {"prompt": "abc", "completion": "0.1"},
        {"prompt": "-0.1", "completion": "0.1"},
        {"prompt": "NaN", "completion": "0.1"},
        {"prompt": float("inf"), "completion": "0.1"},
        {"prompt": True, "completion": "0.1"},
    ],
)
def test_a_model_without_a_usable_price_has_none(pricing: Any) -> None:
    assert price_of(_model(NO_PRICE, pricing)) is None


def test_cost_is_exact_where_float_is_not() -> None:
    price = ModelPrice(Decimal("0.00000013"), Decimal("0.0000004"))
    # 0.1 + 0.2 style errors: summing ten thousand one-token requests in float drifts.
    # (A running total: the built-in sum() of floats is compensated from Python 3.12 on.)
    drifting = 0.0
    for _ in range(10_000):
        drifting += 0.00000013
    assert drifting != 0.0013
    total = sum((price.cost(1, 0) for _ in range(10_000)), Decimal(0))
    assert total == Decimal("0.0013")
    assert price.cost(1_234_567, 89_012) == Decimal("0.16049371") + Decimal("0.0356048")
    # The caller's decimal context (here 3 digits) does not round the result.
    with localcontext() as context:
        context.prec = 3
        assert price.cost(1_234_567, 89_012) == Decimal("0.19609851")


def test_batch_requests_cost_half_and_request_fees_count() -> None:
    price = ModelPrice(Decimal("0.0000008"), Decimal("0.0000024"), Decimal("0.001"))
    assert Decimal("0.5") == BATCH_PRICE_FACTOR
    assert price.cost(1000, 500) == Decimal("0.0008") + Decimal("0.0012") + Decimal("0.001")
    assert price.cost(1000, 500, batch=True) == Decimal("0.0015")
    assert price.cost(1000, 500, requests=3) == Decimal("0.005")


@pytest.mark.parametrize(
    ("prompt", "completion", "requests"), [(-1, 0, 1), (0, -2, 1), (1, 1, -1), (1.5, 0, 1)]
)
def test_impossible_counts_are_refused(prompt: Any, completion: Any, requests: Any) -> None:
    with pytest.raises(ValueError, match="whole number >= 0"):
        ModelPrice(Decimal(1), Decimal(1)).cost(prompt, completion, requests=requests)


def test_price_table_names_unpriced_models_and_prices_usage() -> None:
    table = _table()
    assert set(table) == {LLAMA, FREE} and table.unpriced == {NO_PRICE}
    usage = Usage(prompt_tokens=100, completion_tokens=50, total_tokens=150)
    assert table.cost(LLAMA, usage) == Decimal("0.000033")
    assert table.cost(LLAMA, usage, batch=True) == Decimal("0.0000165")
    assert table.cost(FREE, usage) == Decimal(0)
    assert table.cost(NO_PRICE, usage) is None
    assert table.cost("unknown/model", usage) is None
    assert table.cost(LLAMA, None) is None


def test_tracker_adds_up_per_model_and_says_what_it_cannot_price() -> None:
    tracker = CostTracker(_table())
    assert tracker.total_cost == Decimal(0) and tracker.requests == 0
    usage = Usage(prompt_tokens=100, completion_tokens=50, completion_tokens_details=None)
    assert tracker.add(LLAMA, usage) == Decimal("0.000033")
    assert tracker.add(LLAMA, Usage(prompt_tokens=10, completion_tokens=20, reasoning_tokens=15))
    assert tracker.add(LLAMA, usage, batch=True) == Decimal("0.0000165")
    llama = tracker.by_model[LLAMA]
    assert (llama.requests, llama.batch_requests, llama.prompt_tokens) == (3, 1, 210)
    assert (llama.completion_tokens, llama.reasoning_tokens) == (120, 15)
    assert llama.cost == Decimal("0.000033") + Decimal("0.0000093") + Decimal("0.0000165")
    assert tracker.total_cost == llama.cost and tracker.unpriced_models == []

    assert tracker.add(NO_PRICE, usage) is None
    assert tracker.unpriced_models == [NO_PRICE]
    assert tracker.by_model[NO_PRICE].cost is None
    assert tracker.total_cost is None and tracker.known_cost == llama.cost
    assert tracker.total_tokens == 330 + 150

    bill = str(tracker)
    assert f"{LLAMA}  " in bill and "3 (1 batch)" in bill and "0.0000588" in bill
    assert "no price" in bill and "(incomplete)" in bill

    tracker.reset()
    assert tracker.by_model == {} and tracker.total_cost == Decimal(0)


def test_a_reply_without_usage_is_not_counted_as_free() -> None:
    tracker = CostTracker(_table())
    tracker.add(LLAMA, Usage(prompt_tokens=1, completion_tokens=1))
    tracker.add(LLAMA, None)
    llama = tracker.by_model[LLAMA]
    assert llama.requests == 2 and llama.unmetered_requests == 1 and not llama.complete
    assert tracker.total_cost is None and tracker.known_cost == Decimal("0.00000053")
    assert "+ 1 without usage" in str(tracker)


def test_prices_are_loaded_once_on_first_use_even_from_many_threads() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def load() -> PriceTable:
        calls.append(1)
        gate.wait()
        return _table()

    tracker = CostTracker(load)
    assert calls == []  # nothing is read before the first reply
    usage = Usage(prompt_tokens=1, completion_tokens=1)
    threads = [
        threading.Thread(target=lambda: [tracker.add(LLAMA, usage) for _ in range(500)])
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert tracker.requests == 4000 and tracker.prompt_tokens == 4000
    assert tracker.total_cost == Decimal("0.00000053") * 4000


def test_a_failure_to_read_prices_leaves_every_model_unpriced() -> None:
    def load() -> PriceTable:
        raise ConfigurationError("No API key: set NEBIUS_API_KEY.")

    tracker = CostTracker(load)
    assert tracker.add(LLAMA, Usage(prompt_tokens=1, completion_tokens=1)) is None
    assert isinstance(tracker.pricing_error, ConfigurationError)
    assert tracker.unpriced_models == [LLAMA] and tracker.total_cost is None
    assert "prices unavailable: No API key" in str(tracker)


def test_a_nested_tracker_tells_its_parent() -> None:
    outer = CostTracker(_table())
    inner = CostTracker(_table(), parent=outer)
    usage = Usage(prompt_tokens=100, completion_tokens=50)
    outer.add(LLAMA, usage)
    inner.add(LLAMA, usage, batch=True)
    assert inner.requests == 1 and inner.total_cost == Decimal("0.0000165")
    assert outer.requests == 2 and outer.total_cost == Decimal("0.0000495")
    assert outer.by_model[LLAMA].batch_requests == 1


def test_price_sources_are_checked_before_anything_is_sent() -> None:
    table = _table()
    assert price_source(prices=table) is table
    with NebiusClient(api_key="k", base_url="http://127.0.0.1:9/v1") as client:
        assert callable(price_source(client))
    assert callable(price_source())  # the environment, read on first use
    with pytest.raises(TypeError, match=r"prices=await aget_prices\(client\)"):
        price_source(AsyncNebiusClient(api_key="k"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="client must be a NebiusClient, not str"):
        price_source("https://api.example")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="prices must be a PriceTable"):
        price_source(prices={LLAMA: "0.1"})  # type: ignore[arg-type]
