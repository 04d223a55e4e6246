"""The warnings tools and the agent raise, in Chinese: a hand-written phrasebook (issue 19).

Tools write their warnings in English as they find them (a reader's ignored columns, a budget plan's extrapolated
curve, a recommendation's unknown customers). A Chinese answer shows each one through `warning_zh`: every English
template has a pattern here, with named groups for its variable parts, and a Chinese template. Figures stay exactly
as the tool wrote them (Chinese answers format numbers and money as English ones do, `core.zh`); dates become
2026年11月30日; a channel, attribute, customer group or tool gets its Chinese name where the answers have one. A
warning no pattern knows is returned unchanged: never guessed at, never machine-translated.

`tests/test_warnings_zh.py` scans the code for warning strings and fails on one without a pattern here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from core import zh

# The redaction recognisers' entity names in Chinese, for the agent's PII warning (agent/core.py) and the tools'
# warnings, which write them in lower case with spaces ("email address").
PII_KINDS_ZH = {
    "EMAIL_ADDRESS": "电子邮箱",
    "PHONE_NUMBER": "电话号码",
    "CREDIT_CARD": "银行卡号",
    "IBAN_CODE": "IBAN 账号",
    "IP_ADDRESS": "IP 地址",
    "US_SSN": "社会安全号",
    "STREET_ADDRESS": "街道地址",
}
# The ad-copy brief's fields, as `generate_ad_copy` names them when it takes personal data out.
BRIEF_FIELDS_ZH = {"key message": "核心信息", "audience": "目标受众", "tone": "语气"}

N = r"[-\d,.]+"  # a figure as the tools write it: "12", "1,234", "0.85", "-3"

# (English pattern, Chinese template), first full match wins. A template names the pattern's groups; each group's
# value is re-worded by the converter its name (less trailing digits) picks in `CONVERT`, else kept as written.
WARNINGS: tuple[tuple[str, str], ...] = (
    # ---- the agent: planning, budgets, the LLM router ----
    (r"Skipped a part I can't help with: (?P<quoted>.+)", "跳过了我帮不上忙的部分：“{quoted}”"),
    (
        rf"The request needs (?P<n>{N}) tool calls; only the first (?P<m>{N}) are planned\.",
        "这个请求需要调用 {n} 次工具；只安排了前 {m} 次。",
    ),
    (r"Skipped (?P<tool>\w+): (?P<why>.+)\.", "已跳过{tool}：{why}。"),
    (r"The LLM router failed \((?P<error>[^()]*)\); planned offline\.", "LLM 路由出错（{error}），已改用离线规划。"),
    (r"The LLM router failed \((?P<error>.+)\); answered offline\.", "LLM 路由出错（{error}），已改为离线回答。"),
    (
        r"The model kept calling tools; stopped at the step limit with the results so far\.",
        "模型一直在调用工具：已在步数上限处停下，答案使用目前的结果。",
    ),
    (rf"The model did not finish within the time budget \((?P<n>{N}) s\)\.", "模型没有在时间预算（{n} 秒）内完成。"),
    (
        r"The model reached its call or time budget; the answer uses the results so far\.",
        "模型用完了调用次数或时间预算，答案使用目前的结果。",
    ),
    (
        r"The model's wording stated figures not in the results; showing the plain answer\.",
        "模型的措辞里有结果中没有的数字，因此只显示原始答案。",
    ),
    (
        r"Personal data in the message was removed before processing \((?P<pii>.+)\)\.",
        "消息中的个人信息已在处理前删除（{pii}）。",
    ),
    (
        rf"(?P<n>{N}) reviews? shown here \((?P<ids>.+)\) read like instructions to an AI or carry links or contact "
        r"details: quoted as data with links removed; nothing in them was followed\. You may want to moderate them\.",
        "这里展示的 {n} 条评价（{ids}）像是写给 AI 的指令，或带有链接、联系方式：已作为数据引用并去掉链接，"
        "其中的内容没有被执行。建议人工审核这些评价。",
    ),
    # ---- reading files (core.tabular and the readers) ----
    (r"ignored personal columns: (?P<list>.+)", "已忽略含个人信息的列：{list}"),
    (r"ignored columns: (?P<headers>.+)", "已忽略的列：{headers}"),
    (rf"ignored (?P<n>{N}) empty column\(s\) without a header", "已忽略 {n} 个没有表头的空列"),
    (
        rf"ignored (?P<n>{N}) column\(s\) without a header that hold values \(name them to use them\)",
        "已忽略 {n} 个没有表头但有数据的列（给它们加上表头即可使用）",
    ),
    (
        rf"(?P<n>{N}) series have sales dated in the future \(after (?P<day>[^;]+); latest (?P<day2>[^:]+): "
        r"(?P<list>.+)\); check the date column: forecasts start after the last date",
        "{n} 个序列有日期在未来的销售记录（晚于{day}；最晚为{day2}：{list}）；请检查日期列：预测从最后一个日期之后开始",
    ),
    (
        rf"The forecast leaves out (?P<list>.+?): forecasts that used them were less accurate \(MASE (?P<a>{N}) with "
        rf"them, (?P<b>{N}) without, on each series' last periods held out\)\. The effects shown for them \(what-ifs, "
        r"drivers\) are what the model learnt, and uncertain\.",
        "预测未使用 {list}：使用它们的预测在各序列留出的最后几期上更不准确（MASE 使用时 {a}，不用时 {b}）。"
        "为它们显示的影响（假设分析、驱动因素）是模型学到的，并不确定。",
    ),
    (
        rf"filled (?P<n>{N}) missing points? with fill=(?P<fill>\S+) \(covariates carried forward\) in "
        rf"(?P<m>{N}) series: (?P<list>.+?)(?: and (?P<more>{N}) more)?",
        "用 fill={fill} 填补了 {m} 个序列中的 {n} 个缺失点（协变量沿用前值）：{list}{more}",
    ),
    (
        rf"(?P<n>{N}) transaction\(s\) dated after today \((?P<day>[^)]+)\), e\.g\. (?P<rows>.+); check the date "
        r"column \(kept as they are\)",
        "{n} 笔交易的日期晚于今天（{day}），例如{rows}；请检查日期列（已按原样保留）",
    ),
    (
        rf"dropped (?P<n>{N}) transaction\(s\) with a negative amount \(--negative drop\)",
        "已删除 {n} 笔金额为负的交易（--negative drop）",
    ),
    (
        rf"kept (?P<n>{N}) transaction\(s\) with a negative amount as returns \(--negative returns\)",
        "已将 {n} 笔金额为负的交易作为退货保留（--negative returns）",
    ),
    (r"personal data replaced by tags before storing: (?P<counted>.+)", "存储前已用标签替换个人信息：{counted}"),
    (rf"row (?P<n>{N}): exact duplicate of row (?P<m>{N}), ingested once", "第 {n} 行与第 {m} 行完全相同，只导入一次"),
    (rf"(?P<n>{N}) rows with problems were left out; the first: (?P<why>.+)", "有 {n} 行有问题，已略过；第一处：{why}"),
    # ---- reviews and ad copy ----
    (r"No reviews match these filters\.", "没有符合这些筛选条件的评价。"),
    (
        rf"(?P<n>{N}) review quotes? read like instructions or carried links or personal data, so the copy was "
        r"written without them\.",
        "有 {n} 条评价引文像是指令，或带有链接、个人信息，写文案时没有使用它们。",
    ),
    (
        rf"only (?P<n>{N}) of (?P<m>{N}) variants passed every rule; add a key message or more reviews, or ask for "
        r"fewer variants",
        "要求 {m} 条文案，只有 {n} 条通过了所有规则；可以补充核心信息或更多评价，或者少要几条",
    ),
    (
        r"the text generator failed \((?P<why>.+)\); copy was built from the grounding",
        "文本生成模型出错（{why}）；文案改由评价和商品目录中的依据拼成",
    ),
    (r"Personal data in the (?P<fields>.+) was removed before writing copy\.", "写文案前已删除{fields}中的个人信息。"),
    (
        r"OpenAI \((?P<model>[^)]*)\) failed: (?P<why>.+); answered by the local model \((?P<local>[^)]*)\)\.",
        "OpenAI（{model}）出错：{why}；改由本地模型（{local}）回答。",
    ),
    (rf"Sample (?P<n>{N}) from (?P<source>.+) held no JSON object\.", "{source} 的第 {n} 个样本里没有 JSON 对象。"),
    # ---- segments and recommendations ----
    (
        r"the transactions had no product ids, so no top products \(retrain with a product_id column\)",
        "交易数据里没有商品编号，因此没有热门商品（请用带 product_id 列的数据重新训练）",
    ),
    (rf"(?P<n>{N}) transactions without a product id were left out", "{n} 笔没有商品编号的交易已略去"),
    (r"customers were named, so the segment (?P<segment>.+) was not used", "已指定客户，因此没有使用分群“{segment}”"),
    (
        r"none of the products the model knows is in the catalogue, so none was left out",
        "模型认识的商品都不在商品目录中，因此没有排除任何商品",
    ),
    (
        rf"no purchase the model knows for (?P<customers>.+): they get the best sellers of the last (?P<n>{N}) days "
        r"instead",
        "模型不知道这些客户的购买记录：{customers}；改为推荐最近 {n} 天的畅销品",
    ),
    (
        r"(?P<product>.+) is new or rarely bought, so its audience is the customers most likely to buy from its "
        r"category, (?P<category>.+)",
        "{product} 是新品或很少有人购买，因此它的目标客户是最可能购买其品类（{category}）的客户",
    ),
    # ---- budgets ----
    (
        rf"(?P<n>{N}) weeks for (?P<m>{N}) channels and (?P<k>{N}) controls is little data: expect wide intervals",
        "只有 {n} 周、{m} 个渠道和 {k} 个控制变量的数据，数据偏少：区间会很宽",
    ),
    (r"control (?P<quoted>.+) never changes and was left out", "控制变量“{quoted}”从不变化，已略去"),
    (
        rf"The data cannot pin down (?P<channel>.+)'s ROAS \((?P<low>{N}) to (?P<high>{N})\): treat its share as a "
        r"rough guess, and vary its spend \(a test or flighting\) to learn more\.",
        "数据无法确定{channel}的 ROAS（{low} 至 {high}）：它分到的份额只能当作粗略估计；"
        "调整它的投放（做测试或脉冲式投放）才能了解更多。",
    ),
    (
        rf"(?P<channel>.+) at (?P<n>{N}) a week is above (?P<times>{N})x the most it ever spent in a week "
        rf"\((?P<max>{N})\): its curve there is extrapolated\.",
        "{channel}每周 {n} 超过了它单周最高花费（{max}）的 {times} 倍：这一段的曲线是外推的。",
    ),
    (
        r"The plan may not beat the current split: its 80% interval of extra outcome includes zero, so the data "
        r"cannot tell the two apart\.",
        "这个方案未必胜过当前的分配：它带来的额外产出的 80% 区间包含零，数据无法区分两者。",
    ),
    (r"Held at today's level: (?P<held>.+)\.", "保持当前投放水平的渠道：{held}。"),
    (
        rf"(?P<n>{N}) divergent transitions: parts of the posterior may be missed",
        "采样中有 {n} 次发散转移：后验分布的部分区域可能没有采到",
    ),
    (
        rf"R-hat up to (?P<n>{N}|nan|inf) \(above (?P<m>{N})\): the chains disagree",
        "R-hat 最高为 {n}（超过 {m}）：各条马尔可夫链的结果不一致",
    ),
    (
        rf"effective sample size down to (?P<n>{N}|nan) \(below (?P<m>{N})\): intervals are rough",
        "有效样本量低至 {n}（低于 {m}）：区间只是粗略估计",
    ),
    # ---- experiments ----
    (
        rf"Test (?P<quoted>.+) is set up with (?P<n>{N}) variants and no results yet: send each variant to an even "
        r"share, then store the results with `(?P<command>marketing-agent experiment FILE --name .+)` \(variant_id as "
        r"here\) or post them\.",
        "测试“{quoted}”已设好 {n} 个版本，还没有结果：请把流量平均分给每个版本，然后用 `{command}` 保存结果"
        "（variant_id 与这里相同），或直接提交结果。",
    ),
    (r"no exposures yet for (?P<list>.+): nothing can be said about them", "{list} 还没有曝光：无法对它们下任何结论"),
    (
        r"no conversions yet, so the test's size cannot be planned from its own rate",
        "还没有转化，因此无法根据测试自身的转化率规划样本量",
    ),
    (r"no plan: (?P<why>.+)", "无法规划样本量：{why}"),
    # ---- fairness ----
    (
        rf"(?P<n>{N}) customers have more than one value for an attribute across rows; their first is kept",
        "{n} 位客户在不同行里的属性值不一致；保留了第一个值",
    ),
    (r"'(?P<attribute>.+)' was read as ages and grouped into age bands", "“{attribute}”被识别为年龄，已分成年龄段"),
    (r"'(?P<attribute>.+)' is a number and was grouped into quintile bands", "“{attribute}”是数值，已按五分位分组"),
    (
        rf"'(?P<attribute>.+)' has (?P<n>{N}) distinct values: not a group, left out",
        "“{attribute}”有 {n} 个不同的值：不是分组，已略去",
    ),
    (
        rf"(?P<n>{N}) of the (?P<m>{N}) customers on the list have no stored attributes and were left out of the audit",
        "名单上的 {m} 位客户中有 {n} 位没有已存储的属性，未纳入审计",
    ),
    (
        rf"groups under (?P<n>{N}) customers are shown but not judged \((?P<attributes>.+)\)",
        "不足 {n} 位客户的分组只展示、不评判（{attributes}）",
    ),
    (
        rf"Fairness: this list selects (?P<group>.+) \((?P<attribute>[^()]+)\) at (?P<n>{N}) of the best-served "
        r"group's rate \(four-fifths rule\); a fairness audit of the list shows every group\.",
        "公平性：这份名单对{attribute}为“{group}”的客户的选中率只有服务最好的分组的 {n} 倍（五分之四规则）；"
        "对这份名单做公平性审计可以看到每个分组。",
    ),
)

# Reasons that appear inside a warning ("Skipped forecast_sales: <reason>.", "no plan: <reason>") or as a call's
# error, worded by the agent's executor and the experiment's sizing.
REASONS: tuple[tuple[str, str], ...] = (
    (rf"the request's budget is (?P<n>{N}) tool calls", "本次请求最多调用 {n} 次工具"),
    (rf"the request's time budget \((?P<n>{N}) s\) ran out", "本次请求的时间预算（{n} 秒）已用完"),
    (
        rf"it needs the result of call (?P<n>{N}), which did not succeed",
        "它需要第 {n} 次调用的结果，而那次调用没有成功",
    ),
    (r"it did not finish within the request's time budget", "它没有在本次请求的时间预算内完成"),
    (r"(?P<list>.+) can't be set through the agent", "{list} 不能通过智能助手设置"),
    (r"The OpenAI request \((?P<model>[^)]*)\) failed: (?P<why>.+)\.", "OpenAI 请求（{model}）出错：{why}。"),
    (r"the lift is too small to detect", "要检测的提升太小，无法检测"),
    (rf"the lift to detect must be above zero, not (?P<n>{N})", "要检测的提升必须大于零，而不是 {n}"),
    (rf"the baseline rate must be between 0 and 1, not (?P<n>{N}|nan|inf)", "基准转化率必须在 0 和 1 之间，而不是 {n}"),
    (rf"a (?P<n>{N}%) lift on a (?P<m>{N}%) rate would pass 100%", "在 {m} 的转化率上提升 {n} 会超过 100%"),
    (r"alpha and power must be between 0 and 1", "alpha 和检验功效都必须在 0 和 1 之间"),
    (r"a test needs at least two variants", "一个测试至少需要两个版本"),
)


@dataclass(frozen=True)
class WarningPhrase:
    """One English warning's pattern and its Chinese template (`str.format` over the converted groups)."""

    pattern: re.Pattern[str]
    template: str

    def reword(self, text: str) -> str | None:
        found = self.pattern.fullmatch(text)
        if found is None:
            return None
        groups = {name: _converted(name, value or "") for name, value in found.groupdict().items()}
        return self.template.format(**groups)


PHRASES = tuple(WarningPhrase(re.compile(p, re.DOTALL), t) for p, t in WARNINGS)
REASON_PHRASES = tuple(WarningPhrase(re.compile(p, re.DOTALL), t) for p, t in REASONS)


def warning_zh(text: str) -> str:
    """`text`, a warning a tool or the agent wrote in English, in Chinese; a warning no pattern knows (one already
    in Chinese among them) unchanged."""
    stripped = text.strip()
    for phrase in PHRASES:
        if (worded := phrase.reword(stripped)) is not None:
            return worded
    return text


def knows(text: str) -> bool:
    """True when a pattern rewords `text` (a whole warning)."""
    return any(p.pattern.fullmatch(text.strip()) for p in PHRASES)


def reason_zh(text: str) -> str:
    """A reason inside a warning, or a call's error, in Chinese where a reason or a warning pattern knows it."""
    stripped = text.strip()
    for phrase in REASON_PHRASES:
        if (worded := phrase.reword(stripped)) is not None:
            return worded
    return warning_zh(text)


# ---- the groups' converters ----------------------------------------------------------------------------------


def _converted(name: str, value: str) -> str:
    convert = CONVERT.get(name.rstrip("0123456789"))
    return convert(value) if convert is not None and value else value


def _listed(text: str) -> str:
    """ "a, b ..." -> "a、b 等"."""
    text = text.replace(", ", zh.LIST_SEPARATOR)
    return text[:-4] + " 等" if text.endswith(" ...") else text


def _unquoted(text: str) -> str:
    """A value the English wrote with repr() quotes ('spring sale'), without them."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _day(text: str) -> str:
    return zh.day(text.strip())


def _pii(words: str) -> str:
    """The recognisers' entity names as the English warning writes them ("email address"), in Chinese."""
    return PII_KINDS_ZH.get(words.strip().upper().replace(" ", "_"), words.strip())


def _pii_kinds(text: str) -> str:
    """ "email address, phone number" -> "电子邮箱、电话号码"."""
    return zh.joined(_pii(k) for k in text.split(", "))


def _pii_counted(text: str) -> str:
    """ "2 email address, 1 phone number" -> "电子邮箱 2 处、电话号码 1 处"."""

    def one(item: str) -> str:
        count, _, words = item.partition(" ")
        return f"{_pii(words)} {count} 处" if count.replace(",", "").isdigit() and words else item

    return zh.joined(one(item) for item in text.split(", "))


def _brief_fields(text: str) -> str:
    return zh.joined(BRIEF_FIELDS_ZH.get(f, f) for f in text.split(", "))


def _more(count: str) -> str:
    return f" 等另外 {count} 个"


def _customers(text: str) -> str:
    """ "C1, C2 and 3 more" -> "C1、C2 及另外 3 位"."""
    head, found, rest = text.rpartition(" and ")
    count = rest.removesuffix(" more")
    if found and rest.endswith(" more") and count.replace(",", "").isdigit():
        return f"{_listed(head)} 及另外 {count} 位"
    return _listed(text)


def _rows(text: str) -> str:
    """ "row 5 (2027-01-02), row 9 (2027-02-01)" -> "第 5 行（2027年1月2日）、第 9 行（2027年2月1日）"."""
    worded = re.sub(r"row (\d+) \(([^()]*)\)", lambda m: f"第 {m[1]} 行（{zh.day(m[2])}）", text)
    return _listed(worded)


def _channel(text: str) -> str:
    from tools.budget.present import channel_zh

    return channel_zh(text)


def _held(text: str) -> str:
    """ "tv (1,234), search (500)" -> "电视（1,234）、搜索（500）"."""

    def one(item: str) -> str:
        found = re.fullmatch(r"(.+) \(([^()]*)\)", item)
        return f"{_channel(found[1])}（{found[2]}）" if found else item

    return zh.joined(one(item) for item in re.split(r"(?<=\)), ", text))


def _attribute(text: str) -> str:
    from tools.fairness.present import attribute_zh

    return attribute_zh(text)


def _attributes(text: str) -> str:
    return zh.joined(_attribute(a) for a in text.split(", "))


def _segment(text: str) -> str:
    from tools.segments.present import segment_zh

    return segment_zh(_unquoted(text))


def _tool(name: str) -> str:
    """A tool's name as the Chinese answers offer it ("forecast_sales" -> "销量预测"), else the name."""
    from tools.registry import TOOLS

    unit = TOOLS.get(name)
    offer = unit.planning.offer_zh if unit is not None and unit.planning is not None else ""
    return offer or name


def _headers(text: str) -> str:
    return _listed(text.replace("(a value, not a header)", "（数据值，不是表头）"))


CONVERT: dict[str, Callable[[str], str]] = {
    "list": _listed,
    "headers": _headers,
    "quoted": _unquoted,
    "day": _day,
    "pii": _pii_kinds,
    "counted": _pii_counted,
    "fields": _brief_fields,
    "more": _more,
    "customers": _customers,
    "rows": _rows,
    "channel": _channel,
    "held": _held,
    "attribute": _attribute,
    "attributes": _attributes,
    "segment": _segment,
    "tool": _tool,
    "why": reason_zh,
}
