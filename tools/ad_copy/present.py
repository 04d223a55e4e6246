"""How generate_ad_copy results are shown: the answer's section (the variants, the reviews behind their claims),
what a router model may read (counts, never the copy), and the terminal view."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core import zh
from tools.ad_copy.tool import GenerateAdCopyInput, GenerateAdCopyResult, generate_ad_copy
from tools.answer import Written, aspect_zh, plural
from tools.unit import Implementation

MAX_CITED = 6


CHANNELS_ZH = {"google_search": "谷歌搜索广告", "meta_feed": "Meta 信息流广告", "email": "营销邮件", "sms": "营销短信"}
FIELDS_ZH = {
    "headline": "标题",
    "description": "描述",
    "primary_text": "正文",
    "subject": "主题",
    "preview": "预览",
    "body": "正文",
    "footer": "页脚",
    "text": "短信",
}
# Ad copy is written in English on both paths (the tool has no language input yet, and its hard rules, sense check
# and templates read English): a Chinese answer says so plainly, whichever wrote it.
LOCAL_ENGLISH_ONLY_ZH = (
    "说明：以上文案为英文：离线模型只会写英文文案。中文文案尚不支持（OpenAI 兼容接口目前也按英文撰写和检查）。"
)
ENGLISH_ONLY_ZH = "说明：以上文案为英文：广告文案目前只按英文撰写和检查，中文文案尚不支持。"


def field_zh(name: str) -> str:
    """ "headline_2" -> "标题2"; a field this does not know keeps its name."""
    base, _, number = name.rpartition("_") if name.rsplit("_", 1)[-1].isdigit() else (name, "", "")
    return FIELDS_ZH.get(base, base) + number if base in FIELDS_ZH else name


class AdCopyPresenter:
    def answer(self, result: GenerateAdCopyResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result, written)
        channel = result.channel.replace("_", " ")
        lines = [f"**{len(result.variants)} {channel} variants for {result.product_name}**, all passing brand rules:"]
        for i, variant in enumerate(result.variants, 1):
            lines.append(
                f"{i}. `{variant.variant_id}` " + "; ".join(f"{name}: {text}" for name, text in variant.fields.items())
            )
        lines.append("")
        _cite_evidence(result, written)
        if result.grounding.praised:
            backed = ", ".join(p.label for p in result.grounding.praised[:3])
            lines.append(f"Claims rest on what reviews praise ({backed}) and the catalogue.")
        if result.grounding.avoided:
            lines.append(f"Not claimed, since customers complain about it: {', '.join(result.grounding.avoided)}.")
        _warn_dropped(result, written)
        return "\n".join(lines)

    def model_view(self, result: GenerateAdCopyResult) -> dict[str, Any]:
        return {
            "product_id": result.product_id,
            "channel": result.channel,
            "variants": len(result.variants),
            "note": "the variants are shown to the user; do not repeat them",
        }

    def terminal(self, result: GenerateAdCopyResult) -> RenderableType | None:
        """Each variant as a panel: its fields with their length, the evidence behind its claims, its score."""
        parts: list[Table | Panel] = []
        for i, variant in enumerate(result.variants, 1):
            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column("field", style="bold")
            table.add_column("copy")
            table.add_column("chars", justify="right")
            for name, text in variant.fields.items():
                source = "" if variant.sources.get(name) == "model" else f" [dim]({variant.sources.get(name)})[/]"
                table.add_row(name, escape(text) + source, str(len(text)))
            evidence = "; ".join(
                f"{escape(c.text)} <- {', '.join(c.evidence[:3])}" for c in variant.evidence if c.kind == "aspect"
            )
            body: list[Table | str] = [table, f"[dim]evidence:[/] {evidence or 'catalogue facts only'}"]
            title = f"variant {i} · score {variant.score:.2f} · {variant.compliance.rules_checked} checks passed"
            parts.append(Panel(Group(*body), title=title, border_style="green"))
        grounding = result.grounding
        praised = ", ".join(f"{p.label} ({len(p.review_ids)} reviews cited)" for p in grounding.praised) or "none"
        avoided = ", ".join(grounding.avoided) or "none"
        rejected = ", ".join(f"{k} {v}" for k, v in result.rejected.items()) or "none"
        parts.append(
            Panel(
                f"{escape(result.summary)}\npraised: {escape(praised)}\nnot claimed (customers complain): "
                f"{escape(avoided)}\n{result.candidates} model candidates, rejected by rule: {rejected}; "
                f"{result.backend} ({result.model}), {result.seconds:.1f} s",
                title="summary",
            )
        )
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def _answer_zh(result: GenerateAdCopyResult, written: Written) -> str:
    channel = CHANNELS_ZH.get(result.channel, result.channel.replace("_", " "))
    lines = [f"**为 {result.product_name} 写了 {len(result.variants)} 条{channel}文案**，全部符合品牌规则："]
    for i, variant in enumerate(result.variants, 1):
        lines.append(
            f"{i}. `{variant.variant_id}` "
            + "；".join(f"{field_zh(name)}：{text}" for name, text in variant.fields.items())
        )
    lines += ["", LOCAL_ENGLISH_ONLY_ZH if result.backend == "local" else ENGLISH_ONLY_ZH]
    lines.append("")
    _cite_evidence(result, written)
    if result.grounding.praised:
        backed = zh.joined(aspect_zh(p.aspect, p.label) for p in result.grounding.praised[:3])
        lines.append(f"文案中的卖点来自评价里的好评（{backed}）和商品目录。")
    if result.grounding.avoided:
        avoided = zh.joined(aspect_zh(a) for a in result.grounding.avoided)
        lines.append(f"顾客对这些方面有抱怨，文案没有宣传：{avoided}。")
    _warn_dropped(result, written)
    return "\n".join(lines)


def _warn_dropped(result: GenerateAdCopyResult, written: Written) -> None:
    dropped = result.grounding.quotes_dropped
    if not dropped:
        return
    if written.chinese:
        written.warn(f"有 {dropped} 条评价引文像是指令，或带有链接、个人信息，写文案时没有使用它们。")
    else:
        written.warn(
            f"{plural(dropped, 'review quote')} read like instructions or carried links or personal data, so "
            "the copy was written without them."
        )


def review_text(result: GenerateAdCopyResult) -> tuple[list[str], list[str]]:
    """The praise quotes the copy was grounded in (kept out of session memory, like every review text)."""
    return [p.quote for p in result.grounding.praised if p.quote], []


def _cite_evidence(result: GenerateAdCopyResult, written: Written) -> None:
    """Cite the reviews behind the variants' claims: their grounding quote, else their text from the store."""
    cited = [
        e.removeprefix("review:")
        for variant in result.variants
        for claim in variant.evidence
        for e in claim.evidence
        if e.startswith("review:")
    ]
    quotes = {rid: p.quote for p in result.grounding.praised for rid in p.review_ids[:1] if p.quote}
    wanted = list(dict.fromkeys(cited))[:MAX_CITED]
    missing = [rid for rid in wanted if rid not in quotes]
    if missing and written.snippets is not None:
        quotes |= written.snippets(missing)
    for rid in wanted:
        if rid in quotes:
            written.cite(rid, quotes[rid])


IMPLEMENTATION = Implementation(
    generate_ad_copy, GenerateAdCopyInput, GenerateAdCopyResult, AdCopyPresenter(), review_text=review_text
)
