"""The price table: bundled prices, dated entries, snapshot names, user prices, free providers,
unknown models and bad price files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from frontdesk.errors import ConfigError
from frontdesk.messages import Usage, UserMessage
from frontdesk.models import FunctionModel, ScriptedModel
from frontdesk.models.openai import OpenAIModel
from frontdesk.models.pricing import FREE_PROVIDERS, Price, PriceTable, UnknownPrice
from frontdesk.models.testing import text_response
from frontdesk.offline import OfflineModel
from frontdesk.testing import ModelServer, Reply

REQUIRED = [
    "openai:gpt-4o",
    "openai:gpt-4o-mini",
    "openai:gpt-4.1",
    "openai:gpt-4.1-mini",
    "openai:gpt-4.1-nano",
    "openai:o3",
    "openai:o4-mini",
    "openai:gpt-5",
    "openai:gpt-5-mini",
    "openai:gpt-5-nano",
    "anthropic:claude-3-5-haiku",
    "anthropic:claude-sonnet-4",
    "anthropic:claude-opus-4",
    "anthropic:claude-haiku-4-5",
    "anthropic:claude-sonnet-4-5",
    "anthropic:claude-opus-4-1",
]
TODAY = date(2025, 11, 1)


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load_default()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- the bundled table ----


def test_bundled_table_prices_every_listed_model_above_zero(table: PriceTable) -> None:
    assert table.version == "2025-10-15"
    for model in REQUIRED:
        price = table.price(model, TODAY)
        assert price.model == model
        assert price.input > 0, model
        assert price.output > 0, model
        assert 0 < price.cached_rate <= price.input, model
        assert "list prices" in price.source, model
        assert "as of 2025-10-15" in price.source, model
        assert "check" in price.source, model


def test_bundled_list_prices(table: PriceTable) -> None:
    mini = table.price("openai:gpt-4o-mini", TODAY)
    assert (mini.input, mini.cached_input, mini.output) == (0.15, 0.075, 0.60)
    sonnet = table.price("anthropic:claude-sonnet-4-5", TODAY)
    assert (sonnet.input, sonnet.cached_input, sonnet.output) == (3.0, 0.30, 15.0)
    assert sonnet.source.startswith("Anthropic list prices")


def test_dated_snapshots_match_their_base_entry(table: PriceTable) -> None:
    assert table.price("openai:gpt-4o-mini-2024-07-18", TODAY).model == "openai:gpt-4o-mini"
    assert table.price("openai:gpt-4.1-2025-04-14", TODAY).model == "openai:gpt-4.1"
    assert table.price("openai:gpt-5-mini-2025-08-07", TODAY).model == "openai:gpt-5-mini"
    sonnet = table.price("anthropic:claude-sonnet-4-5-20250929", TODAY)
    assert sonnet.model == "anthropic:claude-sonnet-4-5"  # the longer entry, not claude-sonnet-4
    assert table.price("anthropic:claude-opus-4-1-20250805", TODAY).model == (
        "anthropic:claude-opus-4-1"
    )
    assert table.price("anthropic:claude-3-5-haiku-latest", TODAY).model == (
        "anthropic:claude-3-5-haiku"
    )


def test_an_own_entry_beats_the_base_of_a_snapshot(table: PriceTable) -> None:
    old = table.price("openai:gpt-4o-2024-05-13", TODAY)
    assert old.model == "openai:gpt-4o-2024-05-13"
    assert (old.input, old.output) == (5.0, 15.0)
    assert table.price("openai:gpt-4o-2024-11-20", TODAY).input == 2.5  # the base gpt-4o


def test_aliases_and_case(table: PriceTable) -> None:
    assert table.price("anthropic:claude-sonnet-4-0", TODAY).model == "anthropic:claude-sonnet-4"
    assert table.price("anthropic:claude-opus-4-0", TODAY).output == 75.0
    assert table.price("OpenAI:GPT-4o-Mini", TODAY).model == "openai:gpt-4o-mini"


@pytest.mark.parametrize(
    "model",
    [
        "openai:o3-pro",
        "openai:gpt-5-pro",
        "openai:gpt-4o-audio-preview",
        "anthropic:claude-opus-4-5",
    ],
)
def test_sibling_models_are_not_priced_as_their_prefix(table: PriceTable, model: str) -> None:
    # o3-pro costs 10x o3: a prefix match would under-reserve a budget by as much
    with pytest.raises(UnknownPrice):
        table.price(model, TODAY)


def test_the_newest_entry_not_after_the_date_applies(table: PriceTable) -> None:
    assert table.price("openai:o3", date(2025, 5, 1)).input == 10.0
    assert table.price("openai:o3", date(2025, 6, 9)).input == 10.0
    assert table.price("openai:o3", date(2025, 6, 10)).input == 2.0
    assert table.price("openai:o3").input == 2.0  # today
    assert table.price("openai:o3", datetime(2025, 6, 10, 23, 59)).input == 2.0
    assert table.price("openai:gpt-4o", date(2024, 9, 1)).output == 15.0
    assert table.price("openai:gpt-4o", date(2024, 10, 2)).output == 10.0


def test_a_date_before_the_first_price_is_unknown(table: PriceTable) -> None:
    with pytest.raises(UnknownPrice, match=r"openai:o3 on 2025-01-01.*effective from 2025-04-16"):
        table.price("openai:o3", date(2025, 1, 1))


# ---- cost and worst case ----


def test_cost_charges_cached_input_at_the_cached_rate(table: PriceTable) -> None:
    usage = Usage(input_tokens=10_000, cached_input_tokens=4_000, output_tokens=1_000, requests=1)

    cost = table.cost("openai:gpt-4o-mini", usage, TODAY)

    assert cost == pytest.approx((6_000 * 0.15 + 4_000 * 0.075 + 1_000 * 0.60) / 1e6)


def test_cost_without_a_cached_price_uses_the_input_price(table: PriceTable) -> None:
    usage = Usage(input_tokens=1_000_000, cached_input_tokens=500_000, output_tokens=0)

    assert table.cost("openai:gpt-4o-2024-05-13", usage, TODAY) == pytest.approx(5.0)


def test_worst_case_charges_all_input_uncached_and_the_longest_answer(table: PriceTable) -> None:
    worst = table.worst_case("anthropic:claude-haiku-4-5", 2_000, 1_024, TODAY)

    assert worst == pytest.approx((2_000 * 1.0 + 1_024 * 5.0) / 1e6)
    actual = table.cost("anthropic:claude-haiku-4-5", Usage(input_tokens=2_000, output_tokens=80))
    assert actual < worst


async def test_pricing_an_adapter_response(model_server: ModelServer) -> None:
    table = PriceTable.load_default()
    model_server.enqueue(
        Reply(
            text="ok",
            model="gpt-4o-mini-2024-07-18",
            input_tokens=1_200,
            output_tokens=300,
            cached_tokens=1_000,
        )
    )
    async with OpenAIModel("gpt-4o-mini", base_url=model_server.base_url) as model:
        response = await model.request([UserMessage(text="hi")])

    cost = table.cost(f"{model.provider}:{response.model}", response.usage)

    assert cost == pytest.approx((200 * 0.15 + 1_000 * 0.075 + 300 * 0.60) / 1e6)


# ---- unknown models, ceilings and free providers ----


def test_an_unknown_model_is_an_error_that_says_how_to_add_it(table: PriceTable) -> None:
    with pytest.raises(UnknownPrice) as caught:
        table.cost("openai:gpt-9", Usage(input_tokens=10, output_tokens=10))

    assert isinstance(caught.value, ConfigError)
    assert caught.value.model == "openai:gpt-9"
    message = str(caught.value)
    assert "no price for openai:gpt-9" in message
    assert "Price(model='openai:gpt-9'" in message
    assert "PriceTable.from_toml" in message
    assert "unknown_ceiling" in message


def test_a_malformed_id_is_an_error(table: PriceTable) -> None:
    with pytest.raises(UnknownPrice, match="'provider:model'"):
        table.price("gpt-4o")


def test_an_unknown_model_is_charged_the_ceiling_never_zero() -> None:
    ceiling = Price(input=15.0, output=75.0, source="the dearest model we use")
    table = PriceTable.load_default(unknown_ceiling=ceiling)

    price = table.price("openai:gpt-9")
    cost = table.cost("openai:gpt-9", Usage(input_tokens=1_000, output_tokens=1_000))

    assert price.model == "openai:gpt-9"
    assert price.source == "ceiling for unknown models: the dearest model we use"
    assert cost == pytest.approx((1_000 * 15.0 + 1_000 * 75.0) / 1e6)
    assert table.price("openai:o3", date(2025, 1, 1)).input == 15.0  # before its first price
    assert table.price("openai:gpt-4o-mini").input == 0.15  # known models keep their price


def test_local_and_test_models_are_free() -> None:
    table = PriceTable.load_default()
    usage = Usage(input_tokens=50_000, output_tokens=50_000)
    models = [
        FunctionModel(lambda messages, tools: text_response("hi")),
        ScriptedModel(steps=[text_response("hi")]),
        OfflineModel(lambda messages, tools: text_response("hi"), name="billing"),
    ]

    assert [m.id for m in models] == ["function:function", "scripted:scripted", "offline:billing"]
    for model in models:
        assert table.cost(model.id, usage) == 0.0
    assert table.cost("local:embedding-router", usage) == 0.0
    assert table.price("offline").source == "free provider"
    assert {"function", "scripted", "offline", "local"} == FREE_PROVIDERS


def test_free_providers_are_a_choice() -> None:
    table = PriceTable.load_default(free_providers={"function", "ollama"})

    assert table.cost("ollama:llama3.1", Usage(input_tokens=1_000, output_tokens=1_000)) == 0.0
    with pytest.raises(UnknownPrice):
        table.price("scripted:scripted")
    with pytest.raises(UnknownPrice):
        PriceTable.load_default(free_providers=()).price("function:function")


# ---- your own prices ----


def test_merged_adds_models_and_overrides_whole_histories(table: PriceTable) -> None:
    mine = table.merged(
        [
            Price(model="openai:llama3.1", input=0.0, output=0.0, source="our own GPU"),
            Price(model="openai:o3", input=1.5, cached_input=0.4, output=6.0, source="contract"),
            Price(model="anthropic:claude-sonnet-4", input=2.7, output=13.5, source="contract"),
        ]
    )

    assert mine.price("openai:llama3.1").source == "our own GPU"  # an explicit $0 is allowed
    assert mine.price("openai:o3", date(2025, 5, 1)).input == 1.5  # no bundled history left
    assert mine.price("openai:o3-2025-04-16").output == 6.0
    assert mine.price("anthropic:claude-sonnet-4-0").input == 2.7  # its alias follows
    own_alias = table.merged([Price(model="anthropic:claude-opus-4-0", input=9.0, output=9.0)])
    assert own_alias.price("anthropic:claude-opus-4-0").input == 9.0  # no longer an alias
    assert own_alias.price("anthropic:claude-opus-4").input == 15.0
    assert mine.price("openai:gpt-4o-mini").input == 0.15  # the rest is kept
    assert mine.version == "2025-10-15+custom"
    assert table.price("openai:o3").input == 2.0  # the original is unchanged
    assert "openai:llama3.1" in mine.models
    assert "openai:llama3.1" not in table.models


def test_merged_keeps_the_ceiling_and_free_providers() -> None:
    base = PriceTable.load_default(
        unknown_ceiling=Price(input=1.0, output=1.0), free_providers={"function"}
    )

    mine = base.merged([Price(model="acme:small", input=0.1, output=0.2)])

    assert mine.price("acme:unknown").input == 1.0
    assert mine.free_providers == {"function"}


def test_a_user_toml_file(tmp_path: Path, table: PriceTable) -> None:
    path = write(
        tmp_path,
        """
format = 1
version = "acme-2025-09"

[providers.openai]
source = "our enterprise agreement, September 2025"
models = [
    { name = "gpt-4o-mini", input = 0.12, cached_input = 0.06, output = 0.48 },
    { name = "ft:gpt-4o-mini:acme::abc123", effective = 2025-09-01, input = 0.3, output = 1.2 },
]

[providers.acme]
source = "self-hosted"
models = [{ name = "triage", aliases = ["triage-v2"], input = 0.01, output = 0.02 }]
""",
    )

    mine = table.merged(PriceTable.from_toml(path))

    assert mine.version == "2025-10-15+acme-2025-09"
    assert mine.price("openai:gpt-4o-mini-2024-07-18").input == 0.12
    assert mine.price("openai:gpt-4o-mini", date(2020, 1, 1)).input == 0.12  # undated: always
    fine_tuned = mine.price("openai:ft:gpt-4o-mini:acme::abc123", date(2025, 9, 1))
    assert fine_tuned.source == "our enterprise agreement, September 2025"
    assert mine.price("acme:triage-v2").model == "acme:triage"


# ---- errors in prices and price files ----

VALID_HEAD = 'format = 1\nversion = "v1"\n\n[providers.acme]\nsource = "us"\n'
ENTRY_A = '{ name = "a", input = 1, output = 1 }'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f'models = [{ENTRY_A}, {{ name = "b", input = -1, output = 1 }}]',
            r"providers\.acme\.models\[1\] \('b'\): input: Input should be greater than or equal",
        ),
        (
            'models = [{ name = "a", input = "0.5", output = 1 }]',
            r"providers\.acme\.models\[0\] \('a'\): input: Input should be a valid number",
        ),
        (
            'models = [{ name = "a", input = 1, outptu = 1 }]',
            r"models\[0\] \('a'\): output: Field required.*models\[0\] \('a'\): outptu: Extra",
        ),
        (
            'models = [{ name = "a", effective = "last week", input = 1, output = 1 }]',
            r"models\[0\] \('a'\): effective: Input should be a valid date",
        ),
        (
            f'models = [{ENTRY_A}, {{ name = "A", input = 2, output = 2 }}]',
            r"providers\.acme\.models\[1\] \('A'\) repeats providers\.acme\.models\[0\] \('a'\)",
        ),
        (
            f'models = [{ENTRY_A}, {{ name = "b", aliases = ["a"], input = 1, output = 1 }}]',
            r"acme:a is both priced and an alias of acme:b",
        ),
    ],
)
def test_a_bad_entry_is_named(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, VALID_HEAD + body + "\n")

    with pytest.raises(ConfigError, match=expected) as caught:
        PriceTable.from_toml(path)

    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('format = 1\nversion = "v1"\n[providers.acme\n', r"is not valid TOML: .*line 3"),
        ('format = 2\nversion = "v1"\nproviders = {}\n', r"format: Input should be 1"),
        ('format = 1\nversion = "v1"\n[providers.acme]\nmodels = []\n', r"source: Field required"),
    ],
)
def test_a_bad_file_is_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError, match=expected) as caught:
        PriceTable.from_toml(path)

    assert str(caught.value).startswith(f"price table {path} ")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"price table .*nope\.toml does not exist"):
        PriceTable.from_toml(tmp_path / "nope.toml")


def test_bad_prices_in_code() -> None:
    with pytest.raises(ConfigError, match=r"price of acme:x: output must be .* got -0\.5"):
        Price(model="acme:x", input=1.0, output=-0.5)
    with pytest.raises(ConfigError, match=r"input must be .* got nan"):
        Price(model="acme:x", input=float("nan"), output=1.0)
    with pytest.raises(ConfigError, match=r"price model 'gpt-4o' is not a 'provider:model' id"):
        PriceTable([Price(model="gpt-4o", input=1.0, output=1.0)])
    with pytest.raises(ConfigError, match=r"two prices for acme:x effective 2025-01-01"):
        PriceTable(
            [
                Price(model="acme:x", input=1.0, output=1.0, effective=date(2025, 1, 1)),
                Price(model="acme:x", input=2.0, output=2.0, effective=date(2025, 1, 1)),
            ]
        )
    with pytest.raises(ConfigError, match=r"alias acme:y points to acme:z, which has no price"):
        PriceTable([Price(model="acme:x", input=1.0, output=1.0)], aliases={"acme:y": "acme:z"})
