"""List prices (USD per million tokens) to turn a request's usage into dollars at the gateway.

Cache writes cost 1.25x the input price, cache reads 0.1x. An unknown model has no price: its cost is
null with a reason, and the budget is charged at the highest known price (never under-counted).
"""

from __future__ import annotations

from dataclasses import dataclass

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10


@dataclass(frozen=True)
class Price:
    input: float
    output: float


# Longest matching prefix wins.
PRICES: dict[str, Price] = {
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-6": Price(5.0, 25.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-3-opus": Price(15.0, 75.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-3-5-sonnet": Price(3.0, 15.0),
    "claude-haiku-4": Price(1.0, 5.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
    "claude-3-haiku": Price(0.25, 1.25),
}
HIGHEST = Price(15.0, 75.0)


def price_for(model: str | None) -> Price | None:
    """The list price of `model` (by longest known prefix), or None when unknown."""
    if not model:
        return None
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else None


def cost_usd(usage: dict[str, int], price: Price) -> float:
    """Dollars for one request's usage at `price`."""
    per_token = price.input / 1e6
    return (usage.get("input_tokens", 0) * per_token
            + usage.get("cache_creation_input_tokens", 0) * per_token * CACHE_WRITE_FACTOR
            + usage.get("cache_read_input_tokens", 0) * per_token * CACHE_READ_FACTOR
            + usage.get("output_tokens", 0) * price.output / 1e6)
