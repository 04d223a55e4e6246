"""Checks that the demo store is deterministic, well-formed and internally coherent."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from agent.demo import DemoFiles, generate_demo_data
from agent.demo.catalogue import CATEGORY_ASPECTS, PRODUCT_RANGE
from agent.demo.marketing import CHANNELS, EVENTS, marketing_truth
from agent.demo.reviews import load_phrasebook
from agent.demo.sales import week_starts

END = date(2026, 11, 1)
WEEKS = 104
FIT_WORDS = ("fit", "size", "sizing", "small", "tight", "big", "large", "loose", "snug")
FIT_WORDS_ZH = ("尺码", "尺寸", "码", "合身", "大小", "偏小", "偏大", "紧")  # agent/demo/reviews_zh.py's reviews


def _generate(out_dir: Path, seed: int = 7) -> DemoFiles:
    # Smaller than the defaults to keep the suite fast; weeks stay at two full years.
    return generate_demo_data(
        out_dir,
        seed=seed,
        n_reviews=800,
        n_customers=400,
        weeks=WEEKS,
        end_date=END,
        progress=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return _generate(tmp_path_factory.mktemp("demo"))


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _paths(files: DemoFiles) -> list[Path]:
    """Every file written, the ad tests' results included (a tuple of paths)."""
    found: list[Path] = []
    for f in fields(files):
        value = getattr(files, f.name)
        found += list(value) if isinstance(value, tuple) else [value]
    return found


@pytest.fixture(scope="module")
def reviews(demo: DemoFiles) -> pd.DataFrame:
    frame = _read(demo.reviews)
    frame["rating"] = frame["rating"].astype(int)
    return frame


@pytest.fixture(scope="module")
def sales(demo: DemoFiles) -> pd.DataFrame:
    frame = _read(demo.sales)
    frame["quantity"] = frame["quantity"].astype(int)
    frame["price"] = frame["price"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture(scope="module")
def transactions(demo: DemoFiles) -> pd.DataFrame:
    frame = _read(demo.transactions).merge(_read(demo.customer_personas), on="customer_id")
    frame["date"] = pd.to_datetime(frame["date"])
    frame["week"] = frame["date"] - pd.to_timedelta(frame["date"].dt.day_of_week, unit="D")
    return frame


# --- determinism ----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(demo: DemoFiles, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again")
    for first, second in zip(_paths(demo), _paths(again), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_different_seed_gives_different_data(demo: DemoFiles, tmp_path: Path) -> None:
    other = _generate(tmp_path / "other", seed=8)
    for name in ("reviews", "sales", "transactions", "customers"):
        assert getattr(demo, name).read_bytes() != getattr(other, name).read_bytes(), name


def test_rejects_nonsense_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo_data(tmp_path, weeks=2, progress=False)
    with pytest.raises(ValueError):
        generate_demo_data(tmp_path, n_reviews=-1, progress=False)


# --- shape ----------------------------------------------------------------------------

COLUMNS = {
    "catalogue": [
        "product_id",
        "name",
        "category",
        "subcategory",
        "price",
        "launch_date",
        "description",
        "name_zh",
    ],
    "reviews": [
        "review_id",
        "product_id",
        "product_name",
        "category",
        "rating",
        "title",
        "text",
        "date",
        "channel",
        "aspects",
    ],
    "sales": ["date", "series_id", "quantity", "price", "promo", "holiday"],
    "transactions": [
        "transaction_id",
        "customer_id",
        "date",
        "amount",
        "quantity",
        "product_id",
        "channel",
    ],
    "customers": [
        "customer_id",
        "name",
        "email",
        "phone",
        "signup_date",
        "region",
        "age_band",
        "gender",
        "income_band",
    ],
    "product_aspects": ["product_id", "aspect", "mean_sentiment"],
    "customer_personas": ["customer_id", "persona"],
    "marketing": [
        "date",
        "spend_search",
        "spend_social",
        "spend_display",
        "spend_tv",
        "sales",
        "black_friday",
        "cyber_monday",
        "christmas",
        "mothers_day",
        "valentines",
    ],
    "marketing_effects": ["channel", "alpha", "lam", "beta", "scale", "spend", "roas", "contribution_share"],
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_are_exact(demo: DemoFiles, name: str) -> None:
    assert list(_read(getattr(demo, name)).columns) == COLUMNS[name]


def test_sizes_and_unique_ids(demo: DemoFiles, reviews: pd.DataFrame) -> None:
    catalogue, customers = _read(demo.catalogue), _read(demo.customers)
    transactions = _read(demo.transactions)
    assert len(catalogue) == 40 and catalogue["product_id"].is_unique
    assert catalogue["name"].is_unique
    assert set(catalogue["category"]) == {
        "Apparel",
        "Footwear",
        "Electronics",
        "Home",
        "Beauty",
    }
    chinese = reviews["text"].str.contains(r"[\u4e00-\u9fff]")
    # 800 English reviews, then Chinese ones for a few products (tests/test_demo_zh_reviews.py checks them)
    assert (~chinese).sum() == 800 and 0 < chinese.sum() < 0.05 * 800 and reviews["review_id"].is_unique
    assert len(customers) == 400 and customers["customer_id"].is_unique
    assert customers["email"].is_unique
    assert transactions["transaction_id"].is_unique
    assert set(transactions["customer_id"]) == set(customers["customer_id"])


def test_contacts_are_fictional(demo: DemoFiles) -> None:
    customers = _read(demo.customers)
    assert customers["email"].str.fullmatch(r"[a-z.]+\d+@example\.(com|org)").all()
    assert customers["phone"].str.fullmatch(r"\+1-\d{3}-555-01\d{2}").all()


def test_brand_rules(demo: DemoFiles) -> None:
    brand = yaml.safe_load(demo.brand.read_text(encoding="utf-8"))
    for key in (
        "name",
        "voice",
        "audience",
        "tone_words",
        "banned_words",
        "banned_claims",
        "required_disclaimers",
        "url_allowlist",
    ):
        assert brand[key], key
    assert "Reply STOP to opt out." in brand["required_disclaimers"]["sms"]
    assert "cheap" in brand["banned_words"]


def test_phrase_pools_are_rich() -> None:
    book = load_phrasebook()
    for aspect, phrases in book.aspects.items():
        assert len(phrases.pos) >= 8 and len(phrases.neg) >= 8, aspect
    for phrase in book.aspects["fit"].neg + book.quirks["runs_small"].phrases:
        assert any(word in phrase.lower() for word in FIT_WORDS), phrase


def test_every_template_fills_cleanly() -> None:
    book = load_phrasebook()
    tables = [book.openers, book.closers, book.short, book.titles, book.contexts]
    templates = [t for table in tables for pool in table.values() for t in pool]
    for phrases in book.aspects.values():
        templates += [
            *phrases.pos,
            *phrases.neg,
            *phrases.title_pos,
            *phrases.title_neg,
        ]
        templates += [t for pools in phrases.by_category.values() for p in pools.values() for t in p]
    for quirk in book.quirks.values():
        templates += [*quirk.phrases, *quirk.titles]
    for template in templates:
        filled = template.format(name="Aurora Linen Midi Dress", noun="dress", them="it")
        assert "{" not in filled and filled.strip(), template


def test_planted_stories_are_wired_up() -> None:
    book = load_phrasebook()
    for spec in PRODUCT_RANGE:
        aspects = CATEGORY_ASPECTS[spec.category]
        assert set(spec.planted) <= set(aspects), spec.product_id
        for aspect, quirk in spec.quirks.items():
            assert book.quirks[quirk].aspect == aspect, spec.product_id
            assert spec.planted.get(aspect, 0.0) < 0, spec.product_id
        for aspect in aspects:
            assert aspect in book.aspects, aspect
        assert spec.category in book.contexts


# --- dates ----------------------------------------------------------------------------


def test_dates_in_range(
    demo: DemoFiles,
    reviews: pd.DataFrame,
    sales: pd.DataFrame,
    transactions: pd.DataFrame,
) -> None:
    start = pd.Timestamp(week_starts(END, WEEKS)[0])
    end = pd.Timestamp(END)
    review_dates = pd.to_datetime(reviews["date"])
    assert review_dates.between(start, end).all()
    assert (sales["date"].dt.day_of_week == 0).all()
    assert sales["date"].between(start, end - timedelta(days=6)).all()
    assert sales.groupby("series_id").size().max() == WEEKS
    assert transactions["date"].between(start, end).all()
    launch = _read(demo.catalogue).set_index("product_id")["launch_date"]
    assert (review_dates >= pd.to_datetime(reviews["product_id"].map(launch))).all()
    assert (sales["date"] >= pd.to_datetime(sales["series_id"].map(launch))).all()


def test_series_have_different_lengths(sales: pd.DataFrame) -> None:
    assert sales.groupby("series_id").size().nunique() > 1


def test_no_purchase_before_signup(demo: DemoFiles, transactions: pd.DataFrame) -> None:
    signup = _read(demo.customers).set_index("customer_id")["signup_date"]
    assert (transactions["date"] >= pd.to_datetime(transactions["customer_id"].map(signup))).all()


# --- reviews coherence ------------------------------------------------------------------


def test_rating_agrees_with_aspect_sentiment(reviews: pd.DataFrame) -> None:
    said = reviews[reviews["aspects"] != ""]
    all_negative = said[~said["aspects"].str.contains(":pos")]
    all_positive = said[~said["aspects"].str.contains(":neg")]
    assert len(all_negative) > 20 and len(all_positive) > 100
    assert all_positive["rating"].mean() - all_negative["rating"].mean() > 2.0


def test_worst_fit_product_gets_most_fit_complaints(demo: DemoFiles, reviews: pd.DataFrame) -> None:
    truth = _read(demo.product_aspects)
    fit = truth[truth["aspect"] == "fit"].astype({"mean_sentiment": float})
    worst = str(fit.set_index("product_id")["mean_sentiment"].idxmin())
    fit_reviews = reviews[reviews["product_id"].isin(fit["product_id"])]
    complaints = fit_reviews["aspects"].str.contains("fit:neg")
    by_product = complaints.groupby(fit_reviews["product_id"]).agg(["mean", "size"])
    # A product with a handful of reviews can hit a high share by chance; ignore those.
    share = by_product.loc[by_product["size"] >= 15, "mean"]
    assert share.idxmax() == worst
    assert share[worst] > 2 * complaints[fit_reviews["product_id"] != worst].mean()


def test_fit_complaints_talk_about_fit(reviews: pd.DataFrame) -> None:
    texts = reviews.loc[reviews["aspects"].str.contains("fit:neg"), "text"].str.lower()
    mentions_fit = texts.apply(lambda text: any(word in text for word in FIT_WORDS + FIT_WORDS_ZH))
    assert len(texts) > 20 and mentions_fit.mean() > 0.95


def test_review_lengths_and_untrusted_text(reviews: pd.DataFrame) -> None:
    words = reviews["text"].apply(lambda text: len(str(text).split()))
    assert words.min() <= 3 and words.max() >= 60
    hostile = reviews["text"].str.contains(r"<script|http://|ignore (?:previous|all)", case=False)
    assert 1 <= hostile.sum() <= 0.05 * len(reviews)
    counts = reviews["product_id"].value_counts()
    assert counts.max() > 4 * counts.min()  # popularity is skewed


# --- sales coherence --------------------------------------------------------------------


def test_promo_weeks_sell_more(sales: pd.DataFrame) -> None:
    means = sales.groupby(["series_id", "promo"])["quantity"].mean().unstack().dropna()
    lift = means["1"] / means["0"]
    assert (lift > 1).mean() > 0.8 and lift.median() > 1.3


def test_electronics_peak_in_q4(demo: DemoFiles, sales: pd.DataFrame) -> None:
    catalogue = _read(demo.catalogue).set_index("product_id")["category"]
    electronics = sales[sales["series_id"].map(catalogue) == "Electronics"]
    by_quarter = electronics.groupby(electronics["date"].dt.quarter)["quantity"].mean()
    assert by_quarter.idxmax() == 4


def test_catalogue_price_is_the_current_regular_price(demo: DemoFiles, sales: pd.DataFrame) -> None:
    catalogue = _read(demo.catalogue).set_index("product_id")["price"].astype(float)
    regular = sales[sales["promo"] == "0"].sort_values("date").groupby("series_id").last()
    assert (regular["price"] == catalogue[regular.index]).all()


def test_transactions_charge_that_weeks_shelf_price(transactions: pd.DataFrame, sales: pd.DataFrame) -> None:
    priced = transactions.merge(
        sales,
        left_on=["week", "product_id"],
        right_on=["date", "series_id"],
        suffixes=("", "_week"),
    )
    assert len(priced) == len(transactions)  # every purchase is of a product on sale then
    expected = priced["quantity"].astype(int) * priced["price"]
    assert (abs(priced["amount"].astype(float) - expected) < 0.011).all()


# --- personas ---------------------------------------------------------------------------


def test_persona_mix(demo: DemoFiles) -> None:
    shares = _read(demo.customer_personas)["persona"].value_counts(normalize=True)
    expected = {
        "loyal": 0.2,
        "lapsed": 0.2,
        "bargain_hunter": 0.2,
        "new": 0.15,
        "occasional": 0.25,
    }
    for persona, share in expected.items():
        assert abs(shares[persona] - share) < 0.02, persona


def test_lapsed_customers_are_silent_for_six_months(transactions: pd.DataFrame) -> None:
    lapsed = transactions[transactions["persona"] == "lapsed"]
    assert len(lapsed) > 0
    assert lapsed["date"].max() < pd.Timestamp(END - timedelta(days=183))


def test_bargain_hunters_buy_on_promo(transactions: pd.DataFrame, sales: pd.DataFrame) -> None:
    promo = sales.set_index(["date", "series_id"])["promo"] == "1"
    keys = pd.MultiIndex.from_arrays([transactions["week"], transactions["product_id"]])
    transactions = transactions.assign(on_promo=promo.reindex(keys).to_numpy())
    share = transactions.groupby("persona")["on_promo"].mean()
    assert share["bargain_hunter"] > share["loyal"] + 0.3


def test_new_customers_first_purchase_is_recent(transactions: pd.DataFrame) -> None:
    new = transactions[transactions["persona"] == "new"]
    assert new.groupby("customer_id")["date"].min().min() >= pd.Timestamp(END - timedelta(days=100))


def test_loyal_customers_buy_most_and_some_buy_once(transactions: pd.DataFrame) -> None:
    per_customer = (
        transactions.assign(amount=transactions["amount"].astype(float))
        .groupby(["customer_id", "persona"])
        .agg(purchases=("amount", "size"), spend=("amount", "sum"))
    )
    assert (per_customer["purchases"] == 1).sum() > 20
    by_persona = per_customer.groupby(level="persona").mean()
    assert by_persona["purchases"]["loyal"] > 2 * by_persona["purchases"]["occasional"]
    assert by_persona["spend"]["loyal"] > by_persona["spend"]["lapsed"]


# --- media spend ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marketing(demo: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(demo.marketing, parse_dates=["date"])


def test_marketing_sales_are_the_store_revenue_plus_true_media(marketing: pd.DataFrame, sales: pd.DataFrame) -> None:
    revenue = (sales["quantity"] * sales["price"]).groupby(sales["date"]).sum()
    assert list(marketing["date"]) == list(revenue.index) and len(marketing) == WEEKS
    truth = marketing_truth(marketing)
    media = np.sum(list(truth.contributions().values()), axis=0)
    assert abs(marketing["sales"] - revenue.to_numpy() - media).max() < 0.02
    assert 0.15 <= media.sum() / marketing["sales"].sum() <= 0.30  # media is a plausible share of sales


def test_true_roas_is_recoverable_from_the_truth(demo: DemoFiles, marketing: pd.DataFrame) -> None:
    truth = marketing_truth(marketing)
    roas = truth.roas()
    assert list(roas) == ["search", "social", "display", "tv"]
    assert all(1.5 <= value <= 6.0 for value in roas.values()), roas
    assert max(roas, key=roas.__getitem__) == "search"
    # tv saturates hardest: the least of its curve left at a typical week's spend
    headroom = {c.truth.name: float(c.truth.weekly_response(c.typical) / c.truth.beta) for c in CHANNELS}
    assert max(headroom, key=headroom.__getitem__) == "tv"
    effects = pd.read_csv(demo.marketing_effects).set_index("channel")
    for name, value in roas.items():
        assert effects.loc[name, "roas"] == pytest.approx(value, abs=1e-4)
        assert effects.loc[name, "contribution_share"] == pytest.approx(truth.contribution_share()[name], abs=1e-4)
    oracle = truth.oracle(20_000, 4)
    assert sum(oracle.values()) == pytest.approx(20_000, rel=1e-3)


def test_spend_varies_enough_to_learn_from(demo: DemoFiles, marketing: pd.DataFrame) -> None:
    from tools.budget.data import read_spend_file

    table = read_spend_file(demo.marketing)
    assert table.channels == ["search", "social", "display", "tv"] and table.controls == list(EVENTS)
    assert not table.warnings
    for name in table.channels:
        spend = marketing[f"spend_{name}"]
        assert spend.std() > 0.4 * spend.mean(), name  # swings, flights and weeks off
        assert (spend > 0).mean() >= 0.45, name
    for name in ("display", "tv"):  # flighted: on and off in stretches
        assert (marketing[f"spend_{name}"] == 0).mean() >= 0.3, name


def test_marketing_events_are_the_sales_holidays(marketing: pd.DataFrame, sales: pd.DataFrame) -> None:
    holiday = sales.groupby("date")["holiday"].first().astype(int)
    assert (marketing[list(EVENTS)].sum(axis=1).to_numpy() == holiday.to_numpy()).all()
