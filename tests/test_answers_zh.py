"""Answers in the request's language (issue 19): every tool's section has Chinese wording with the same numbers and
citations as the English one, numbers and dates formatted for zh, and the English answer unchanged."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agent import MarketingAgent
from agent.answer import numbers_in, write_answer
from agent.types import ToolCall
from core import zh
from tools.registry import TOOLS

DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")


def figures(text: str) -> set[str]:
    """Every figure a text states, however it is glued to words ("共12条", "headline_1", "2026年3月2日")."""
    return {f"{float(t.replace(',', '')):g}" for t in DIGITS.findall(text)}


def both(name: str, result: dict[str, Any]) -> tuple[str, str, list[str], list[str]]:
    """The English and Chinese sections for one result, and the review ids each cites."""
    call = [ToolCall(name=name, arguments={}, status="ok", result=result)]
    en, cn = write_answer(call, language="en"), write_answer(call, language="zh")
    return en.answer, cn.answer, [c.review_id for c in en.citations], [c.review_id for c in cn.citations]


def own_words(answer: str) -> str:
    """The answer without quoted customers' words, which stay in the language they were written in."""
    return re.sub(r"[“\"][^”\"]*[”\"]", "", answer)


def check_twins(name: str, result: dict[str, Any]) -> str:
    en, cn, en_cited, cn_cited = both(name, result)
    assert zh.has_chinese(cn) and not zh.has_chinese(own_words(en)), cn
    assert figures(cn) <= figures(en), sorted(figures(cn) - figures(en))
    assert cn_cited == en_cited
    for review_id in cn_cited:  # a marker wherever the English has one (ad copy cites without markers)
        assert (f"[{review_id}]" in cn) == (f"[{review_id}]" in en)
    return cn


@pytest.fixture(scope="module")
def agent(demo_copy: Path) -> MarketingAgent:
    return MarketingAgent.open(demo_copy)


def run(agent: MarketingAgent, name: str, **arguments: Any) -> dict[str, Any]:
    result = TOOLS[name].function(**arguments, workspace=agent.workspace.root)
    return dict(result.model_dump(mode="json"))


# ---- formatting ------------------------------------------------------------------------------------------------


def test_numbers_money_dates_and_intervals_read_as_chinese_marketers_write_them() -> None:
    assert zh.number(12345.4) == "12,345" and zh.number(0.5, 2) == "0.50"
    assert zh.money(1234) == "$1,234" and zh.money(12.5, 2) == "$12.50"
    assert zh.percent(0.123) == "12%" and zh.percent(0.0312, 1, signed=True) == "+3.1%"
    assert zh.day(date(2026, 11, 30)) == "2026年11月30日" == zh.day("2026-11-30")
    assert zh.day("next week") == "next week"
    assert zh.interval("1,200", "1,800") == "80% 区间 1,200 至 1,800"
    assert zh.joined(["A", "B"]) == "A、B"
    assert zh.has_chinese("顾客") and not zh.has_chinese("customers 12%")


def test_a_phrasebook_rewords_what_it_knows_and_leaves_the_rest() -> None:
    book = zh.Phrasebook([(r"(?P<n>\d+) customers in (?P<where>\w+)", "{where} 有 {n} 位客户")], {"north": "北区"})
    assert book("12 customers in north") == "北区 有 12 位客户"
    assert book("something else") == "something else" and not book.knows("something else")
    line = zh.card_line({"card": "models/x/card.md", "card_headline": "recall@20 0.412 vs 0.330 for popularity"})
    assert line == "_模型卡：`models/x/card.md`（验证：recall@20 0.412，基线（popularity）为 0.330）。_"


def test_numbers_after_chinese_characters_count_in_the_phrasing_check() -> None:
    assert numbers_in("共12条评价，平均4.5星") == {"12", "4.5"}
    assert numbers_in("SKU12 sold 30") == {"30"}


# ---- each tool's section ---------------------------------------------------------------------------------------


def test_reviews_in_chinese_keep_quotes_and_citations(agent: MarketingAgent) -> None:
    result = run(agent, "search_reviews", query="fit complaints", product_ids=["1001"], insight=True)
    cn = check_twins("search_reviews", result)
    assert "顾客怎么说" in cn and "[R" in cn


def test_forecast_in_chinese(agent: MarketingAgent) -> None:
    cn = check_twins("forecast_sales", run(agent, "forecast_sales", series_ids=["1017"], horizon=8))
    assert "未来 8 周销量预测" in cn and "80% 区间" in cn and "模型卡" in cn
    assert "seasonality" not in cn  # the drivers are reworded too


def test_segments_in_chinese(agent: MarketingAgent) -> None:
    cn = check_twins("segment_customers", run(agent, "segment_customers", filter="at_risk"))
    assert "客户分群" in cn and "$" in cn and " vs " not in cn.split("_模型卡")[0]
    assert not re.search(r"spenders|buyers|lapsed|lapsing", cn), cn  # every segment name in Chinese


def test_recommendations_in_chinese(agent: MarketingAgent) -> None:
    customers = check_twins("recommend_products", run(agent, "recommend_products", customer_ids=["C00116"]))
    assert "给 C00116 的推荐" in customers and "Repeat:" not in customers and "New for them" not in customers
    audience = check_twins("recommend_products", run(agent, "recommend_products", product="1002"))
    assert "该推给谁" in audience
    featured = check_twins("recommend_products", run(agent, "recommend_products", segment="at_risk"))
    assert "有流失风险的客户" in featured


def test_budget_in_chinese(agent: MarketingAgent) -> None:
    for arguments in ({"total_budget": 50_000, "period_weeks": 4}, {}, {"changes": {"search": "x2"}}):
        cn = check_twins("plan_budget", run(agent, "plan_budget", **arguments))
        assert "区间" in cn and "**search**" not in cn and "搜索" in cn


def test_experiments_in_chinese(agent: MarketingAgent) -> None:
    won = check_twins("analyze_experiment", run(agent, "analyze_experiment", experiment="Spring email"))
    assert "胜出：**spring-b**" in won and "2026年3月2日" in won and "The rate of" not in won
    running = check_twins("analyze_experiment", run(agent, "analyze_experiment", experiment="Homepage banner"))
    assert "继续测试" in running and "No variant" not in running


def test_fairness_in_chinese(agent: MarketingAgent) -> None:
    result = run(agent, "audit_fairness", segment="at_risk", attributes=["age"])
    cn = check_twins("audit_fairness", result)
    assert "**年龄段**" in cn and ("**有问题**" in cn) == result["flagged"]


def test_local_ad_copy_in_chinese_says_the_offline_model_writes_english() -> None:
    result: dict[str, Any] = {
        "product_id": "1002",
        "product_name": "Harbor Organic Crew Tee",
        "channel": "google_search",
        "variants": [
            {
                "variant_id": "v-1",
                "fields": {"headline_1": "Harbor Organic Crew Tee", "description_1": "Loved for its fit."},
                "score": 0.8,
                "sources": {},
                "evidence": [
                    {"field": "description_1", "kind": "aspect", "text": "fit", "evidence": ["review:R000001"]}
                ],
                "compliance": {"passed": True, "failures": [], "warnings": [], "rules_checked": 5, "claims": []},
            }
        ],
        "grounding": {
            "facts": {},
            "praised": [{"aspect": "fit", "label": "fit", "review_ids": ["R000001"], "quote": "Fits well."}],
            "avoided": ["shipping and delivery"],
            "reviews_analysed": 12,
        },
        "candidates": 9,
        "rejected": {},
        "backend": "local",
        "model": "smollm2-135m-instruct",
        "seconds": 1.0,
        "summary": "",
    }
    cn = check_twins("generate_ad_copy", result)
    assert "离线模型只会写英文文案" in cn and "中文文案尚不支持" in cn and "标题1：Harbor Organic Crew Tee" in cn
    assert "合身与尺码" in cn and "物流配送" in cn
    openai = check_twins("generate_ad_copy", result | {"backend": "openai"})
    assert "离线模型" not in openai and "中文文案尚不支持" in openai  # the OpenAI path writes English too


def test_a_call_that_did_not_run_is_said_in_chinese() -> None:
    call = ToolCall(name="forecast_sales", arguments={}, status="error", result={"error": "no model"})
    assert write_answer([call], language="zh").answer == "无法完成销量预测：no model"
    assert write_answer([call]).answer == "I couldn't run the forecast: no model"


# ---- end to end ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_zh", "tool"),
    [("顾客对Aurora连衣裙有什么抱怨？", "search_reviews"), ("预测Nimbus无线耳机未来8周的销量", "forecast_sales")],
)
def test_a_chinese_request_gets_a_chinese_answer(agent: MarketingAgent, request_zh: str, tool: str) -> None:
    response = agent.ask(request_zh)
    assert [c.name for c in response.tool_calls] == [tool] and response.tool_calls[0].status == "ok"
    assert response.language == "zh" and zh.has_chinese(response.answer)
    for citation in response.citations:
        assert f"[{citation.review_id}]" in response.answer
    if tool == "search_reviews":
        assert response.citations and "顾客怎么说" in response.answer
    english = agent.ask("What do customers complain about for the Aurora dress?")
    assert english.language == "en" and not zh.has_chinese(own_words(english.answer))
