"""Personal data (OWASP LLM02): the detector's recall and precision on seeded records, and the same sink scans as
`marketing-agent eval security` on a few dozen records flowing through ingest, search, segments, ad copy, the
agent (offline and through a recording OpenAI-compatible endpoint) and the REST API."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.memory import QUOTE_OMITTED, without_quotes
from eval.pii_cases import KINDS, Needles, clean_texts, luhn_valid, seed_records
from eval.suites.security.pii.detector import ours, score_detector
from eval.suites.security.pii.flows import exercise
from eval.suites.security.pii.sinks import SINKS, Findings, allowed
from tools.ad_copy import GenerateAdCopyInput, is_safe_quote
from tools.ad_copy.tool import _without_personal_data
from tools.pii import find_pii, redact
from tools.review_data import validate_review_records

PRODUCTS = ["1001", "1002", "1003", "1004"]


def test_seeded_records_are_well_formed() -> None:
    records = seed_records(40, PRODUCTS)
    assert len({r.email for r in records}) == 40 and len({r.canary for r in records}) == 40
    assert all(luhn_valid("".join(ch for ch in r.card if ch.isdigit())) for r in records)
    for record in records:
        labelled = [kind for _, truth in record.labelled_texts() for kind, _ in truth]
        assert set(labelled) >= set(KINDS)
        assert all(value in text for text, truth in record.labelled_texts() for _, value in truth)
    needles = Needles(records)
    assert needles.scan(records[0].text)["review canary"] >= 1
    assert needles.scan(records[5].phone.replace(" ", "-"))["phone"] == 1  # found however it is formatted


def test_detector_recall_and_precision_on_seeded_records() -> None:
    records = seed_records(60, PRODUCTS, seed=3)
    score = score_detector("ours", ours(), records, clean_texts(200, ["Aurora Linen Midi Dress"]))
    for kind in ("email", "phone", "card"):
        assert score.recall(kind) is not None and score.recall(kind) >= 0.99, (kind, score.misses)
    assert score.recall("address") >= 0.9, score.misses
    assert score.clean_flagged == 0, score.false_examples
    assert all((score.precision(e) or 1.0) >= 0.95 for e in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"))


@pytest.mark.parametrize(
    "text",
    [
        "Call us 24/7, now $49.99 (was $79.99)",
        "Order #16846262 arrived on 2025-05-13",
        "Invoice INV-366979145 for 7 items",
        "SKU 12345-BLK-M, lot 938894575",
        "I am 5'4\" and 130 lbs, size 8, took 3 hours to drive",
        "Rated 4.8/5 by 1,254 customers since 2019",
        "CANARY-R0a1b2c3d4e",
        "Forecast product 1001 for the next 13 weeks",  # requests to the agent, redacted before memory and audit
        "reviews since 2025-03-01 with 4 stars",
        "what will sell at $89.00 with a 10% price cut",
        "look up customer C00014",
    ],
)
def test_clean_marketing_text_is_left_alone(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ship to 221B Baker Street, London NW1 6XE", "STREET_ADDRESS"),
        ("1234 N Maple Ave., Apt 5, Springfield, IL 62704", "STREET_ADDRESS"),
        ("Hauptstraße 5, 10115 Berlin", "STREET_ADDRESS"),
        ("140 place de la Nation, 13001 Marseille", "STREET_ADDRESS"),
        ("card 2221-7237-5955-6505", "CREDIT_CARD"),
        ("call +44 7700 900123", "PHONE_NUMBER"),
    ],
)
def test_what_presidio_alone_misses_is_found(text: str, kind: str) -> None:
    assert [s.kind for s in find_pii(text)] == [kind]


def test_review_ingest_redacts_text_and_problem_echoes() -> None:
    rows = [
        {"product_id": "1", "rating": 5, "text": "Love it. Call me on +1 415-555-0132", "title": "mail jo@example.com"},
        {"product_id": "1", "rating": "call 415-555-0132", "text": "ok", "date": "jo@example.com"},
    ]
    parsed = validate_review_records(rows)
    assert (
        parsed.rows[0].text == "Love it. Call me on <PHONE_NUMBER>" and parsed.rows[0].title == "mail <EMAIL_ADDRESS>"
    )
    assert parsed.redacted == Counter({"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1})
    assert any("personal data replaced" in w for w in parsed.warnings)
    problems = " ".join(str(p) for p in parsed.problems)
    assert "415-555-0132" not in problems and "jo@example.com" not in problems and "<PHONE_NUMBER>" in problems
    again = validate_review_records(rows[:1])
    assert again.rows[0].review_id == parsed.rows[0].review_id  # ids come from the content, stable


def test_ad_copy_brief_and_quotes_hold_no_personal_data() -> None:
    request = GenerateAdCopyInput(product="1001", channel="sms", key_message="Text 415-555-0132 for 20% off")
    cleaned, warnings = _without_personal_data(request)
    assert cleaned.key_message == "Text <PHONE_NUMBER> for 20% off" and warnings
    assert not is_safe_quote("so soft, email me at <EMAIL_ADDRESS>")
    assert not is_safe_quote("so soft, send it to 12 Elm Street")
    assert is_safe_quote("so soft and warm")


def test_memory_keeps_answers_without_the_review_text_they_quote() -> None:
    quoted = ["Great quality for the price. Call me on <PHONE_NUMBER> ref CANARY-Rabc", "Great quality overall, wow"]
    answer = (
        '- [r1] 5★ 1001: "Great quality for the price. Call me on…"\n'
        '- [r2] 4★ 1001: "Great quality overall, wow"\n'
        "3 of 4 mentions."
    )
    kept = without_quotes(answer, quoted)
    assert "Great quality" not in kept and kept.count(QUOTE_OMITTED) == 2 and "3 of 4 mentions." in kept


@pytest.fixture(scope="module")
def findings(demo_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    records = seed_records(24, PRODUCTS, seed=5)
    return exercise(demo_copy, records, tmp_path_factory.mktemp("pii-inputs"), asks=6, seconds=3)


def test_every_flow_ran(findings: Findings) -> None:
    assert not findings.errors, findings.errors
    assert findings.flows["reviews ingested from a file (CLI)"] and findings.flows["reviews ingested as REST rows"]
    assert findings.flows["agent requests with personal data (LLM router)"] == 6
    assert findings.sinks["remote prompts"], "the LLM router and the OpenAI ad-copy backend reached the endpoint"
    assert findings.pii_offered > 0 and findings.pii_rejected > 0
    assert findings.leaks["chromadb documents"]["review canary"] > 0  # reviews are stored (redacted)


# Customer ids the marketer types ("Look up customer C123") reach a remote model only as stand-ins (`Pseudonyms`),
# and tool results send it a count of customers, never their ids: nothing is excused here.
KNOWN: set[tuple[str, str]] = set()


@pytest.mark.parametrize("sink", SINKS)
def test_no_personal_data_or_canary_where_it_must_not_be(findings: Findings, sink: str) -> None:
    leaks = {
        kind: n for kind, n in findings.leaks[sink].items() if not allowed(sink, kind) and (sink, kind) not in KNOWN
    }
    assert not leaks, findings.examples.get(sink)


def test_customer_ids_stay_on_the_machine(findings: Findings) -> None:
    assert findings.leaks["remote prompts"]["customer id canary"] == 0
