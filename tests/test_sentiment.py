"""The sentiment model: trained on ratings, clause-aware, saved and reloaded; VADER only as a fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.workspace import Workspace
from local_models.clauses import CONCESSION, CONTRAST, NONE, split_clauses, weak_clause_labels
from local_models.sentiment import NotEnoughLabelsError, SentimentModel, mark_negation, train_sentiment
from tools.aspects import find_mentions
from tools.review_analysis import load_sentiment

PRAISE = [
    "Love it, fits perfectly",
    "Great quality and soft fabric",
    "Beautiful colour, true to size",
    "Arrived fast, very happy",
    "Comfortable all day, highly recommend",
]
COMPLAINTS = [
    "Fell apart after one wash",
    "Runs small and the zipper broke",
    "Cheap thin fabric, returning it",
    "Arrived late and damaged",
    "Terrible fit, very disappointed",
]


def corpus(repeat: int = 6) -> tuple[list[str], list[int]]:
    texts = PRAISE * repeat + COMPLAINTS * repeat + [f"{p}, but it runs small" for p in PRAISE] * repeat
    ratings = [5] * (5 * repeat) + [1] * (5 * repeat) + [4] * (5 * repeat)
    return texts, ratings


def test_clauses_remember_the_writers_turns() -> None:
    clauses = split_clauses("Love the colour, but it runs small. On the plus side: fast delivery! Meh.")
    assert [(c.text, c.turn) for c in clauses] == [
        ("Love the colour", NONE),
        ("it runs small.", CONTRAST),
        ("On the plus side: fast delivery!", CONCESSION),
        ("Meh.", NONE),
    ]
    assert weak_clause_labels("Great dress. The downside: it wrinkles.", praise=True) == [
        ("Great dress.", 1),
        ("The downside: it wrinkles.", 0),
    ]


def test_negation_marking() -> None:
    assert mark_negation("not true to size, but fine") == "not NOT_true NOT_to NOT_size, but fine"


def test_trained_model_reads_clauses_and_learns_from_turns() -> None:
    model = train_sentiment(*corpus())
    assert model.polarity(["fits perfectly", "the zipper broke"]) == ["praise", "complaint"]
    # "runs small" only ever appears in 4-star reviews, after "but": the turn labels it a complaint.
    assert model.praise_probability(["it runs small"])[0] < 0.4


def test_refuses_to_train_on_one_sided_data() -> None:
    with pytest.raises(NotEnoughLabelsError, match="need at least 20 reviews rated 1-2 and 4-5"):
        train_sentiment(PRAISE * 10, [5] * 50)


def test_save_load_round_trip_and_workspace_fallback(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    scorer, name = load_sentiment(ws)
    assert "VADER" in name  # nothing trained yet: the lexicon stands in, and says so
    assert scorer.polarity(["I love it"]) == ["praise"]
    model = train_sentiment(*corpus())
    model.save(ws.models_dir / "sentiment")
    again = SentimentModel.load(ws.models_dir / "sentiment")
    assert again.praise_probability(["fell apart"]) == pytest.approx(model.praise_probability(["fell apart"]))
    scorer, name = load_sentiment(ws)
    assert name.startswith("trained on")


def test_aspect_mentions_ignore_the_product_name_and_respect_categories() -> None:
    mentions = find_mentions("r1", "The Linen Dress is lovely but shipping was slow", "Apparel", "Linen Dress")
    assert [(m.aspect, m.clause) for m in mentions] == [("shipping", "shipping was slow")]
    assert not [m for m in find_mentions("r2", "battery died fast", "Apparel") if m.aspect == "battery"]
    assert [m.aspect for m in find_mentions("r3", "battery died fast", "Electronics")] == ["battery"]
