"""Chinese reviews in the store: a mixed-language file ingested, searched with filters, summarised with the Chinese
aspect lexicon and sentiment model, and answered in Chinese with citations through the agent."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from agent.core import MarketingAgent
from tools.reviews.tool import ingest_reviews, review_insight, search_reviews

ROWS = [
    ("z1", "1001", 5, "衣服质量很好，做工精细，物流也很快"),
    ("z2", "1001", 1, "尺码偏小，穿不上，客服态度也很差"),
    ("z3", "1001", 2, "物流太慢了，等了一个星期，包装还破了"),
    ("z4", "1001", 1, "快递太慢，包装破损，很失望"),
    ("z5", "1001", 4, "性价比很高，穿着很舒服"),
    ("e1", "1001", 5, "Great quality and the fit is perfect."),
    ("e2", "1001", 1, "Shipping took forever and the box was crushed."),
    ("e3", "1002", 4, "Soft tee, true to size."),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("zh-reviews")
    source = root / "reviews.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "product_id", "rating", "text", "product_name", "category", "date"])
        for review_id, product, rating, text in ROWS:
            name = "Aurora Linen Midi Dress" if product == "1001" else "Harbor Organic Crew Tee"
            writer.writerow([review_id, product, rating, text, name, "Apparel", "2026-10-01"])
    catalogue = root / "ws" / "data"
    catalogue.mkdir(parents=True)
    (catalogue / "catalogue.csv").write_text(
        "product_id,name,category,subcategory,price,launch_date,description,name_zh\n"
        "1001,Aurora Linen Midi Dress,Apparel,Dresses,89.00,,A linen dress,Aurora 亚麻中长连衣裙\n"
        "1002,Harbor Organic Crew Tee,Apparel,Tops,25.00,,A cotton tee,Harbor 有机棉圆领T恤\n",
        encoding="utf-8",
    )
    report = ingest_reviews(source, workspace=root / "ws")
    assert report.written == len(ROWS)
    return root / "ws"


def test_chinese_reviews_are_stored_and_found_with_filters(workspace: Path) -> None:
    hits = search_reviews(query="物流太慢", product_ids=["1001"], max_rating=2, k=5, workspace=workspace).hits
    ids = {h.review_id for h in hits}
    assert ids <= {"z2", "z3", "z4", "e2"}  # the filters hold for Chinese text as for English
    assert {"z3", "z4"} <= ids


def test_chinese_reviews_get_chinese_aspects_and_sentiment(workspace: Path) -> None:
    insight = review_insight(product_ids=["1001"], workspace=workspace)
    complaints = {a.aspect: a for a in insight.complaints}
    assert "shipping" in complaints  # 物流太慢, 快递太慢 and the English "shipping took forever"
    assert complaints["shipping"].complaints >= 3
    assert "Chinese reviews (5)" in insight.sentiment_model
    praised = {a.aspect for a in insight.praised}
    assert "quality" in praised


def test_a_chinese_question_about_chinese_reviews_is_answered_in_chinese_with_citations(workspace: Path) -> None:
    response = MarketingAgent.open(workspace).ask("顾客对Aurora连衣裙的物流有什么抱怨？")
    assert response.language == "zh"
    assert [c.name for c in response.tool_calls] == ["search_reviews"]
    assert "物流/发货" in response.answer or "物流" in response.answer
    cited = {c.review_id for c in response.citations}
    assert cited & {"z3", "z4"}
