"""Warnings in the request's language (issue 19): every English warning the tools and the agent can raise has a
hand-written Chinese wording in `tools.warnings_zh`, a Chinese answer shows it with the same figures, and an English
answer's warnings stay exactly as the tools wrote them."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent import MarketingAgent
from agent.answer import write_answer
from agent.types import ToolCall
from core import zh
from tools.answer import Written
from tools.registry import TOOLS
from tools.warnings_zh import knows, reason_zh, warning_zh

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("tools", "agent", "core", "local_models/textgen")
APPENDS = {"append", "extend", "insert"}
PLACEHOLDERS = ("3", "X")  # each f-string field is tried as a figure and as a word
DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Functions whose strings become warnings though they are not appended to a `warnings` list where written: their
# returned, appended and assigned strings count as warnings. Functions named *warn* count without being listed.
WARNING_SOURCES = {
    "tools/fairness/tool.py": {"audit_line"},  # the fairness line a targeting answer gets
    "tools/fairness/attributes.py": {"_groups"},  # notes on how an attribute column was grouped
    "tools/ad_copy/tool.py": {"_without_personal_data"},
    "tools/budget/model.py": {"_diagnostics"},  # the sampler's problems, warnings of every budget plan
    "agent/core.py": {"_route_and_run"},  # the LLM router's fallback
}


def figures(text: str) -> set[str]:
    return {f"{float(t.replace(',', '')):g}" for t in DIGITS.findall(text)}


# ---- finding the warnings in the code --------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A warning template in the code: where it is, and the texts it renders to with placeholder values."""

    where: str
    texts: tuple[str, ...]


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _templates(node: ast.AST | None) -> Iterator[ast.expr]:
    """The string templates an expression can evaluate to (through lists, conditionals and concatenation)."""
    if (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _has_text(node):
        yield node  # "Held at today's level: " + ", ".join(...) + "."
    elif isinstance(node, ast.IfExp):
        yield from _templates(node.body)
        yield from _templates(node.orelse)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            yield from _templates(element)
    elif isinstance(node, ast.Starred):
        yield from _templates(node.value)
    elif isinstance(node, ast.ListComp):
        yield from _templates(node.elt)


def _has_text(node: ast.AST) -> bool:
    """Whether a concatenation joins a string literal (not just lists or calls that hold some)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _has_text(node.left) or _has_text(node.right)
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


def _renderings(node: ast.AST) -> list[str]:
    """Every text `node` renders to with each field a placeholder ("3" or "X", formatted by its spec and
    conversion; a conditional of two strings gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = [_renderings(v) if isinstance(v, ast.Constant) else _field(v) for v in node.values]
        return ["".join(p) for p in itertools.islice(itertools.product(*parts), 512)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pairs = itertools.product(_renderings(node.left), _renderings(node.right))
        return [a + b for a, b in itertools.islice(pairs, 512)]
    return list(PLACEHOLDERS)


def _field(node: ast.expr) -> list[str]:
    assert isinstance(node, ast.FormattedValue)
    value = node.value
    if isinstance(value, ast.Call) and _name(value.func) == "plural" and len(value.args) >= 2:
        noun = value.args[1]  # tools.answer.plural(count, noun): "1 review", "3 reviews"
        if isinstance(noun, ast.Constant) and isinstance(noun.value, str):
            return [f"1 {noun.value}", f"3 {noun.value}s"]
    if isinstance(value, ast.IfExp) and all(
        isinstance(b, ast.Constant) and isinstance(b.value, str) for b in (value.body, value.orelse)
    ):
        return [str(value.body.value), str(value.orelse.value)]  # type: ignore[attr-defined]
    spec = "".join(_renderings(node.format_spec)[:1]) if node.format_spec is not None else ""
    out: list[str] = []
    for placeholder in PLACEHOLDERS:
        shown: Any = repr(placeholder) if node.conversion == ord("r") else placeholder
        for candidate in (shown, int(shown) if shown.isdigit() else None, 3.0 if shown.isdigit() else None):
            try:
                out.append(format(candidate, spec))
                break
            except (TypeError, ValueError):
                continue
    return out or list(PLACEHOLDERS)


def _warning_nodes(tree: ast.AST, sources: set[str]) -> Iterator[ast.expr]:
    """String templates that become warnings: appended to (or assigned as) something named *warning*, passed to
    `warn(...)` or `warnings=`, or returned, appended or assigned in a function named *warn* or listed in
    `sources`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            receiver = func.value if isinstance(func, ast.Attribute) and func.attr in APPENDS else None
            if receiver is not None and "warning" in _name(receiver).lower():
                for arg in node.args:
                    yield from _templates(arg)
            if _name(func) == "warn":
                for arg in node.args:
                    yield from _templates(arg)
            for keyword in node.keywords:
                if keyword.arg is not None and "warning" in keyword.arg:
                    yield from _templates(keyword.value)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any("warning" in _name(t).lower() for t in targets):
                yield from _templates(node.value)
        elif isinstance(node, ast.FunctionDef) and ("warn" in node.name.lower() or node.name in sources):
            yield from _function_strings(node, listed=node.name in sources)


def _function_strings(function: ast.FunctionDef, listed: bool) -> Iterator[ast.expr]:
    for node in ast.walk(function):
        if isinstance(node, ast.Return):
            yield from _templates(node.value)
        elif listed and isinstance(node, ast.Call) and _name(node.func) == "append":
            for arg in node.args:
                yield from _templates(arg)
        elif listed and isinstance(node, ast.Assign):
            yield from (t for t in _templates(node.value) if " " in "".join(_renderings(t)[:1]))


def warnings_in(source: str, where: str, sources: set[str] | None = None) -> list[Found]:
    """The English warning templates in `source` (ones with Chinese in them are already Chinese)."""
    found: dict[int, Found] = {}
    for node in _warning_nodes(ast.parse(source), sources or set()):
        texts = tuple(dict.fromkeys(_renderings(node)))
        if any(zh.has_chinese(t) for t in texts) or not any(t.strip() for t in texts):
            continue
        found.setdefault(id(node), Found(f"{where}:{node.lineno}", texts))
    return list(found.values())


def code_warnings() -> list[Found]:
    found: list[Found] = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where != "tools/warnings_zh.py":
                found += warnings_in(path.read_text(encoding="utf-8"), where, WARNING_SOURCES.get(where))
    return found


def untranslated(found: list[Found]) -> list[str]:
    """The templates no pattern rewords into Chinese, whatever their placeholders."""
    return [
        f"{f.where}: {f.texts[0]!r}"
        for f in found
        if not any(warning_zh(t) != t and zh.has_chinese(warning_zh(t)) for t in f.texts)
    ]


# ---- every warning has Chinese -----------------------------------------------------------------------------------


def test_every_english_warning_in_the_code_has_a_chinese_wording() -> None:
    found = code_warnings()
    assert len(found) >= 50, [f.where for f in found]  # the scan still finds them (55 templates at writing)
    assert untranslated(found) == []


def test_the_scan_fails_on_a_new_english_warning_without_chinese() -> None:
    source = """
def check(rows, warnings):
    warnings.append(f"{len(rows)} rows look odd, kept anyway")
    warnings.append("No reviews match these filters.")
    warnings.append("只是中文")
"""
    missing = untranslated(warnings_in(source, "new.py"))
    assert missing == ["new.py:3: '3 rows look odd, kept anyway'"]


def test_the_listed_warning_sources_still_exist() -> None:
    for where, names in WARNING_SOURCES.items():
        defined = {n.name for n in ast.walk(ast.parse((ROOT / where).read_text())) if isinstance(n, ast.FunctionDef)}
        assert names <= defined, where


def test_rendered_warnings_keep_their_figures() -> None:
    for found in code_warnings():
        for text in found.texts:
            assert figures(warning_zh(text)) <= figures(text), (found.where, text, warning_zh(text))


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "Skipped forecast_sales: the request's budget is 5 tool calls.",
            "已跳过销量预测：本次请求最多调用 5 次工具。",
        ),
        ("Skipped a part I can't help with: 'book a flight'", "跳过了我帮不上忙的部分：“book a flight”"),
        ("ignored columns: notes, (a value, not a header)", "已忽略的列：notes、（数据值，不是表头）"),
        (
            "2 transaction(s) dated after today (2026-12-01), e.g. row 5 (2027-01-02), row 9 (2027-02-01); check "
            "the date column (kept as they are)",
            "2 笔交易的日期晚于今天（2026年12月1日），例如第 5 行（2027年1月2日）、第 9 行（2027年2月1日）；"
            "请检查日期列（已按原样保留）",
        ),
        (
            "filled 12 missing points with fill=zero (covariates carried forward) in 7 series: a (3), b (4) and 2 more",
            "用 fill=zero 填补了 7 个序列中的 12 个缺失点（协变量沿用前值）：a (3)、b (4) 等另外 2 个",
        ),
        (
            "personal data replaced by tags before storing: 2 email address, 1 phone number",
            "存储前已用标签替换个人信息：电子邮箱 2 处、电话号码 1 处",
        ),
        ("Held at today's level: tv (23,141), search (500).", "保持当前投放水平的渠道：电视（23,141）、搜索（500）。"),
        (
            "customers were named, so the segment 'at_risk' was not used",
            "已指定客户，因此没有使用分群“有流失风险的客户”",
        ),
        (
            "no purchase the model knows for C1, C2, C3, C4, C5 and 7 more: they get the best sellers of the last 90 "
            "days instead",
            "模型不知道这些客户的购买记录：C1、C2、C3、C4、C5 及另外 7 位；改为推荐最近 90 天的畅销品",
        ),
        (
            "groups under 30 customers are shown but not judged (age_band x gender, region)",
            "不足 30 位客户的分组只展示、不评判（年龄段与性别、地区）",
        ),
        (
            "no plan: a 10% lift on a 1.0% rate would pass 100%",
            "无法规划样本量：在 1.0% 的转化率上提升 10% 会超过 100%",
        ),
        (
            "Personal data in the message was removed before processing (email address, phone number).",
            "消息中的个人信息已在处理前删除（电子邮箱、电话号码）。",
        ),
    ],
)
def test_warnings_read_as_chinese_with_names_and_dates_in_chinese(english: str, chinese: str) -> None:
    assert warning_zh(english) == chinese
    assert figures(chinese) <= figures(english)


def test_a_warning_no_pattern_knows_stays_as_written() -> None:
    for text in ["Something new happened (3 times).", "  leading space kept  ", "已经是中文的提醒。", ""]:
        assert warning_zh(text) == text
        assert not knows(text) or not text.strip()
    assert reason_zh("the model file is missing") == "the model file is missing"


# ---- real tool runs on the demo ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent(demo_copy: Path) -> MarketingAgent:
    return MarketingAgent.open(demo_copy)


def answers(agent: MarketingAgent, name: str, **arguments: Any) -> tuple[list[str], list[str], list[str]]:
    """The tool's own warnings, and the English and Chinese answers' warnings, for one real run."""
    result = TOOLS[name].function(**arguments, workspace=agent.workspace.root).model_dump(mode="json")
    call = [ToolCall(name=name, arguments=arguments, status="ok", result=result)]
    english = write_answer(call, workspace=agent.workspace, language="en").warnings
    chinese = write_answer(call, workspace=agent.workspace, language="zh").warnings
    return list(result["warnings"]), english, chinese


def check(raw: list[str], english: list[str], chinese: list[str]) -> None:
    assert raw, "the run raised no warning to check"
    assert english[: len(raw)] == list(dict.fromkeys(raw))  # byte for byte, in order
    assert chinese == [warning_zh(w) for w in english]
    for en, cn in zip(english, chinese, strict=True):
        assert zh.has_chinese(cn) and cn != en, en
        assert figures(cn) <= figures(en), (en, cn)


def test_search_with_no_match_warns_in_chinese(agent: MarketingAgent) -> None:
    raw, english, chinese = answers(
        agent, "search_reviews", query="zipper", date_from="2000-01-01", date_to="2000-01-02"
    )
    check(raw, english, chinese)
    assert chinese == ["没有符合这些筛选条件的评价。"]


def test_budget_plan_warnings_in_chinese(agent: MarketingAgent) -> None:
    channel = TOOLS["plan_budget"].function(workspace=agent.workspace.root).model_dump()["allocation"][0]["channel"]
    raw, english, chinese = answers(agent, "plan_budget", total_budget=50_000, fixed=[channel])
    check(raw, english, chinese)
    assert any(w.startswith("保持当前投放水平的渠道：") for w in chinese), chinese


def test_experiment_set_up_warns_in_chinese(agent: MarketingAgent) -> None:
    raw, english, chinese = answers(agent, "analyze_experiment", variants=["A", "B"], experiment="warning test")
    check(raw, english, chinese)
    assert chinese[0].startswith("测试“warning test”已设好 2 个版本")


def test_fairness_audit_warnings_in_chinese(agent: MarketingAgent) -> None:
    import pandas as pd

    known = pd.read_csv(agent.workspace.root / "customers" / "attributes.csv")["customer_id"].astype(str)
    raw, english, chinese = answers(agent, "audit_fairness", customer_ids=["NO-SUCH-CUSTOMER", *known[:60]])
    check(raw, english, chinese)
    assert chinese[0] == "名单上的 61 位客户中有 1 位没有已存储的属性，未纳入审计"


def test_a_chinese_request_gets_chinese_warnings_and_its_english_twin_english_ones(agent: MarketingAgent) -> None:
    cn = agent.ask("审计这些客户的公平性：C00001, C00002, C00003")
    en = agent.ask("Audit fairness for these customers: C00001, C00002, C00003")
    assert [c.name for c in cn.tool_calls] == [c.name for c in en.tool_calls] == ["audit_fairness"]
    assert cn.warnings and en.warnings
    tool_warnings = cn.tool_calls[0].result["warnings"]  # type: ignore[index]
    assert tool_warnings == en.tool_calls[0].result["warnings"]  # type: ignore[index]
    assert [w for w in en.warnings if w in tool_warnings] == tool_warnings
    assert [w for w in cn.warnings if w in {warning_zh(t) for t in tool_warnings}]
    assert all(zh.has_chinese(w) for w in cn.warnings), cn.warnings
    assert not any(zh.has_chinese(w) for w in en.warnings), en.warnings


def test_an_answer_collects_warnings_in_its_own_language() -> None:
    english_warning = "No reviews match these filters."
    english, chinese = Written(language="en"), Written(language="zh")
    for written in (english, chinese):
        written.warn(english_warning)
        written.warn(english_warning)
        written.warn("Something no pattern knows.")
    assert english.warnings == [english_warning, "Something no pattern knows."]
    assert chinese.warnings == ["没有符合这些筛选条件的评价。", "Something no pattern knows."]


def test_a_skipped_call_says_why_in_chinese() -> None:
    skipped = ToolCall(
        name="forecast_sales", arguments={}, status="skipped", result={"error": "the request's budget is 5 tool calls"}
    )
    assert write_answer([skipped], language="zh").answer == "已跳过销量预测：本次请求最多调用 5 次工具"
    assert write_answer([skipped], language="en").answer == (
        "I skipped the forecast: the request's budget is 5 tool calls"
    )


def test_the_agents_own_warnings_are_in_the_requests_language(demo_copy: Path) -> None:
    from agent.executor import Budget

    agent = MarketingAgent.open(demo_copy)
    agent.budget = Budget(max_calls=1)  # the executor skips the second call and says so
    cn = agent.ask("预测Nimbus无线耳机未来8周的销量，再看看顾客对它有什么抱怨")
    en = agent.ask("forecast Nimbus headphones for the next 8 weeks and what do customers complain about for it")
    assert [c.status for c in cn.tool_calls] == [c.status for c in en.tool_calls] == ["ok", "skipped"]
    assert en.warnings == ["Skipped search_reviews: the request's budget is 1 tool calls."]
    assert cn.warnings == ["已跳过评价解读：本次请求最多调用 1 次工具。"]
