"""The web chat page in a real browser (Debian's chromium through Playwright) against the real app on 127.0.0.1.

One server, one browser page for the module; the tests run in order and continue one conversation: a
complaints question (tool step, citations, the review dialog, hostile review text), a forecast (SVG chart), a
new conversation with a segments question (table), the phone layout, an API key asked for on a server that
needs one, and no request leaving 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from agent.api_keys import KeyStore
from agent.core import MarketingAgent
from agent.openai_server import OpenAIServer, serve_app
from agent.server import create_app
from agent.types import AgentResponse
from tools.ad_copy import GenerateAdCopyResult
from tools.reviews import ingest_reviews

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FIRST_ANSWER_MS = 90_000  # the first answer loads the models
ANSWER_MS = 60_000
HOSTILE_ID = "R-HOSTILE-1"
HOSTILE_TEXT = (
    'Worst dress ever, the fit is terrible and the sizing runs small. <img src=x onerror="window.__pwned=1"> '
    "<script>window.__pwned=2</script> I want a refund."
)


@pytest.fixture(scope="module")
def workspace(demo_copy: Path) -> Path:
    """The demo copy plus one low-rated Aurora dress review whose text is markup that would run if unescaped."""
    row = {"review_id": HOSTILE_ID, "product_id": "1001", "rating": 1, "text": HOSTILE_TEXT, "title": "<b>bold</b>"}
    ingest_reviews(rows=[row], workspace=demo_copy, progress=False)
    return demo_copy


@pytest.fixture(scope="module")
def agent(workspace: Path) -> MarketingAgent:
    return MarketingAgent.open(workspace)


@pytest.fixture(scope="module")
def server(workspace: Path, agent: MarketingAgent) -> Iterator[OpenAIServer]:
    with serve_app(create_app(workspace, keys=False, agent=agent)) as running:
        yield running


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    return []


@pytest.fixture(scope="module")
def stream_bodies() -> list[dict[str, Any]]:
    return []


@pytest.fixture(scope="module")
def chat(
    browser: Browser, server: OpenAIServer, requests_seen: list[str], stream_bodies: list[dict[str, Any]]
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def record(request: Request) -> None:
        requests_seen.append(request.url)
        if request.url.endswith("/v1/ask/stream"):
            stream_bodies.append(json.loads(request.post_data or "{}"))

    page.on("request", record)
    page.goto(server.url + "/")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def ask(page: Page, question: str, timeout: float = ANSWER_MS) -> None:
    """Type `question`, send it with Enter and wait until its answer has finished streaming."""
    answers = page.locator("article.message.assistant")
    before = answers.count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(answers).to_have_count(before + 1)
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('article.message.assistant')[n];"
        " return a && !a.hasAttribute('aria-busy') && !document.querySelector('#message').disabled; }",
        arg=before,
        timeout=timeout,
    )
    expect(answers.last.locator(".error")).to_have_count(0)


def test_the_empty_page_offers_example_questions(chat: Page) -> None:
    expect(chat).to_have_title("Marketing agent")
    expect(chat.locator(".example")).to_have_count(4)
    expect(chat.get_by_role("button", name="New conversation")).to_be_visible()


def test_a_complaints_answer_shows_its_tool_step_and_opens_cited_reviews(chat: Page) -> None:
    ask(chat, "What do customers complain about for the Aurora dress?", timeout=FIRST_ANSWER_MS)
    turn = chat.locator("article.message.assistant").last
    step = turn.locator("details.step")
    expect(step).to_have_count(1)
    expect(step).to_have_attribute("data-status", "ok")
    expect(step.locator(".step-status")).to_have_text("done")
    step.locator("summary").click()
    expect(step.locator(".arguments")).to_contain_text("1001")  # the product it searched

    expect(turn.locator(".answer")).to_contain_text("Complaints")
    sources = turn.locator(".citations li")
    expect(sources.first).to_be_visible()
    cited = sources.first.locator("button.cite")
    review_id = cited.get_attribute("data-review-id")
    assert review_id
    cited.click()
    dialog = chat.locator("#review-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#review-meta")).to_contain_text(review_id)  # loaded from GET /v1/reviews/{id}
    quoted = sources.first.locator("q").inner_text()
    expect(dialog.locator("#review-text")).to_contain_text(quoted.rstrip("…"))
    chat.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_hostile_review_text_is_shown_as_text_and_never_runs(chat: Page) -> None:
    turn = chat.locator("article.message.assistant").last
    turn.locator("details.reviews > summary").click()  # every matching review, the hostile one among them
    hostile = turn.locator(f'button.cite[data-review-id="{HOSTILE_ID}"]').locator("visible=true").first
    expect(hostile).to_be_visible()
    assert '<img src=x onerror="window.__pwned=1">' in turn.inner_text()
    hostile.click()
    dialog = chat.locator("#review-dialog")
    expect(dialog.locator("#review-title")).to_have_text("<b>bold</b>")
    expect(dialog.locator("#review-text")).to_have_text(HOSTILE_TEXT)
    chat.keyboard.press("Escape")
    assert chat.locator("#conversation img, #conversation script, #review-dialog img, #review-dialog b").count() == 0
    assert chat.evaluate("() => window.__pwned") is None


def test_a_forecast_draws_a_chart_with_its_interval(chat: Page) -> None:
    ask(chat, "Forecast the Harbor tee for the next 8 weeks")
    turn = chat.locator("article.message.assistant").last
    expect(turn.locator('details.step[data-tool="forecast_sales"]')).to_have_attribute("data-status", "ok")
    chart = turn.locator("svg.chart")
    expect(chart).to_have_count(1)
    assert (chart.locator("path.median").get_attribute("d") or "").count("L") == 7  # 8 weekly points
    assert (chart.locator("path.band").get_attribute("d") or "").endswith("Z")
    assert (chart.locator("path.history").get_attribute("d") or "").count("L") >= 10  # actual sales before it
    expect(chart.locator(".axis.x text").first).to_have_text(re.compile(r"^\w{3} \d+"))
    expect(chart.locator(".axis.y text").first).to_have_text("0")
    expect(turn.locator("figure.forecast figcaption")).to_contain_text("Harbor")
    ARTIFACTS.mkdir(exist_ok=True)
    chart.evaluate("node => node.scrollIntoView({block: 'center'})")
    chat.screenshot(path=str(ARTIFACTS / "web-chat.png"))


def test_a_new_conversation_shows_segments_as_a_table(chat: Page, stream_bodies: list[dict[str, Any]]) -> None:
    chat.get_by_role("button", name="New conversation").click()
    expect(chat.locator("article.message")).to_have_count(0)
    expect(chat.locator(".example").first).to_be_visible()
    ask(chat, "Which customers are at risk of lapsing?")
    table = chat.locator("article.message.assistant").last.locator("table").first
    expect(table.locator("thead th")).to_contain_text(["Segment", "Customers", "Expected per customer"])
    assert table.locator("tbody tr").count() >= 2
    # the forecast continued the first conversation; the new one started without a session
    assert [body["session_id"] is None for body in stream_bodies] == [True, False, True]


def test_a_phone_gets_no_horizontal_scroll(chat: Page) -> None:
    chat.set_viewport_size({"width": 390, "height": 844})
    try:
        chat.evaluate("() => window.scrollTo(0, 0)")
        widths = chat.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {widths}"
        expect(chat.get_by_role("button", name="Send")).to_be_in_viewport()
    finally:
        chat.set_viewport_size({"width": 1280, "height": 900})


def test_a_server_with_keys_asks_for_one_and_retries(
    browser: Browser, workspace: Path, agent: MarketingAgent, requests_seen: list[str]
) -> None:
    key = KeyStore(workspace).create("web-test")
    with serve_app(create_app(workspace, agent=agent)) as keyed:
        context = browser.new_context()
        page = context.new_page()
        page.on("request", lambda request: requests_seen.append(request.url))
        try:
            page.goto(keyed.url + "/")
            page.get_by_label("Your question").fill("Forecast the Aurora dress for 4 weeks")
            page.get_by_label("Your question").press("Enter")
            form = page.locator("#key-form")
            expect(form).to_be_visible()
            page.get_by_label("API key").fill(key)
            form.get_by_role("button").click()
            expect(page.locator("article.message.assistant svg.chart")).to_have_count(1, timeout=ANSWER_MS)
            assert page.evaluate("() => localStorage.getItem('marketing-agent.api-key')") == key
        finally:
            context.close()


def ad_copy_events() -> str:
    """A stream as the server sends it, for an ad with one variant that breaks a rule and one failed call."""
    check = {"rule": "banned_word", "passed": False, "field": "headline", "detail": "uses 'cheapest'"}
    variant = {
        "fields": {"primary_text": "Linen that breathes <b>all summer</b>.", "headline": "The cheapest dress"},
        "score": 0.81,
        "compliance": {"passed": False, "failures": [check], "rules_checked": 24},
        "evidence": [],
        "sources": {},
    }
    result = GenerateAdCopyResult.model_validate(
        {
            "product_id": "1001",
            "product_name": "Aurora Linen Midi Dress",
            "channel": "meta_feed",
            "variants": [variant],
            "grounding": {"facts": {}, "praised": [], "avoided": [], "reviews_analysed": 0},
            "candidates": 4,
            "rejected": {},
            "backend": "local",
            "model": "test",
            "seconds": 0.1,
            "summary": "1 variant",
        }
    ).model_dump(mode="json")
    ad = {"name": "generate_ad_copy", "arguments": {"product": "1001", "channel": "meta_feed"}}
    failed = {"name": "segment_customers", "arguments": {"filter": "best"}}
    response = AgentResponse(
        answer="**1 meta feed variant**, with an issue.",
        tool_calls=[
            {**ad, "status": "ok", "result": result},
            {**failed, "status": "error", "result": {"error": "no model"}},
        ],
        warnings=["The local model wrote fewer variants than asked."],
        session_id="canned",
    ).model_dump(mode="json")
    events = [
        ("call", {"index": 0, **ad, "status": "running"}),
        ("call", {"index": 0, **ad, "status": "ok"}),
        ("call", {"index": 1, **failed, "status": "error", "error": "no model"}),
        ("answer", {"text": response["answer"]}),
        ("done", response),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def test_ad_copy_warnings_and_failures_render_inline(browser: Browser, server: OpenAIServer) -> None:
    """The ad copy view and the error states, from canned streams (the real ad copy run takes ~20 s)."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    replies: list[dict[str, Any]] = [
        {"status": 200, "content_type": "text/event-stream", "body": ad_copy_events()},
        {
            "status": 500,
            "content_type": "application/problem+json",
            "body": json.dumps({"title": "Boom", "detail": "disk full"}),
        },
    ]

    def reply(route: Route) -> None:
        if replies:
            route.fulfill(**replies.pop(0))
        else:
            route.abort("connectionrefused")

    page.route("**/v1/ask/stream", reply)
    try:
        page.goto(server.url + "/")
        ask(page, "Write a Meta ad for the Aurora dress")
        turn = page.locator("article.message.assistant").last
        expect(turn.locator('details.step[data-tool="segment_customers"]')).to_have_attribute("data-status", "error")
        expect(turn.locator(".step-error")).to_have_text("no model")
        variant = turn.locator(".variant")
        expect(variant.locator(".fields dd").first).to_have_text("Linen that breathes <b>all summer</b>.")
        expect(variant.locator(".score")).to_have_text("Score 81/100")
        expect(variant.locator(".issues")).to_contain_text("uses 'cheapest'")
        expect(variant.locator(".room").first).to_have_text("38/125")
        variant.get_by_role("button", name="Copy variant 1").click()
        expect(variant.locator(".copy")).to_have_text("Copied ✓")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == "Primary text: Linen that breathes <b>all summer</b>.\nHeadline: The cheapest dress"
        expect(turn.locator(".warnings")).to_contain_text("fewer variants")

        page.get_by_label("Your question").fill("and for email?")
        page.get_by_label("Your question").press("Enter")
        expect(page.locator("article.message.assistant").last.locator(".error")).to_contain_text("disk full")
        page.get_by_role("button", name="Retry").click()
        expect(page.locator("article.message.assistant").last.locator(".error")).to_contain_text(
            "Could not reach the server"
        )
        expect(page.get_by_label("Your question")).to_be_enabled()
        assert page.locator("#conversation b").count() == 0
    finally:
        context.close()


def test_no_request_leaves_127_0_0_1(browser: Browser, requests_seen: list[str]) -> None:
    # `browser` puts this test in the [chromium] group with the page tests above: pytest runs a
    # parametrized group together, and a test outside it would get a fresh, empty `requests_seen`.
    assert requests_seen
    outside = [url for url in requests_seen if not url.startswith(("http://127.0.0.1:", "data:"))]
    assert not outside, f"the page asked for something beyond this server: {outside}"
