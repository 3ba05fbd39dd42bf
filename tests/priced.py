"""A price for the local test server's model, so budget tests can run over real HTTP.

`openai:test-model` (what `ModelServer` serves) is not in the bundled table and, by the price
rule, an unknown model is refused; tests price it explicitly, in code or as a TOML file.
"""

from __future__ import annotations

from pathlib import Path

from frontdesk.models import Price, PriceTable

TEST_MODEL = "openai:test-model"
INPUT_USD_PER_M = 1.0
OUTPUT_USD_PER_M = 2.0
TEST_PRICE = Price(
    model=TEST_MODEL, input=INPUT_USD_PER_M, output=OUTPUT_USD_PER_M, source="the tests"
)


def priced_table() -> PriceTable:
    """The bundled table plus `openai:test-model` at $1 / $2 per million tokens."""
    return PriceTable.load_default().merged([TEST_PRICE])


def write_price_file(directory: Path, *names: str) -> Path:
    """A TOML price table (for `FRONTDESK_PRICES`) pricing `openai:<name>` for each name
    (default: `test-model`) at the test price; returns its path."""
    rows = ", ".join(
        f'{{ name = "{name}", input = {INPUT_USD_PER_M}, output = {OUTPUT_USD_PER_M} }}'
        for name in names or ("test-model",)
    )
    path = directory / "prices.test.toml"
    path.write_text(
        f'format = 1\nversion = "tests"\n\n[providers.openai]\nsource = "the tests"\n'
        f"models = [{rows}]\n",
        encoding="utf-8",
    )
    return path
