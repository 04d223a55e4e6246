"""Writing answers from tool results: the draft every tool's presenter writes into, and safe quoting.

Each tool's presenter renders its result as a short Markdown section and records, in the shared `Written`, the
reviews it cites and the warnings it raises. Review text is written by strangers, so what an answer quotes of it
is made inert (`quotable`): it cannot close its quote marks and go on as the answer's own words, carry Markdown
that renders (bold, code, links, citation brackets), or show a link or an email address. Quotes that read like
instructions are noted (`check`), so the answer can warn about them. Citations keep the exact text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from tools.warnings_zh import warning_zh

MAX_SNIPPET = 240
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Links: a scheme or www, or a host on a common top-level domain (not any "word.Word": reviews skip spaces).
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|uk|de|fr|es|it|nl|eu|shop|store|online|site|"
    r"example|info|biz|xyz|app|ly|me|us|ca|au)\b(?:/\S*)?",
    re.IGNORECASE,
)
ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
MARKUP = str.maketrans({'"': "'", "\u201c": "'", "\u201d": "'", "[": "(", "]": ")", "*": "", "`": "", "_": " "})

# review id -> text, for answers that name reviews without quoting them (ad-copy evidence)
SnippetLookup = Callable[[list[str]], dict[str, str]]


# Aspect keys (tools/data/aspects.yaml) in Chinese; a key not listed keeps its English label.
ASPECTS_ZH = {
    "fit": "合身与尺码",
    "length": "长度",
    "fabric": "面料与材质",
    "see_through": "透不透",
    "quality": "做工质量",
    "durability": "耐用性",
    "care": "洗涤与保养",
    "comfort": "舒适度",
    "style": "款式外观",
    "colour": "颜色",
    "price": "价格与性价比",
    "shipping": "物流配送",
    "packaging": "包装",
    "service": "客服与退换货",
    "battery": "续航",
    "sound": "音质",
    "ease_of_use": "易用性",
    "scent": "气味",
    "skin_feel": "肤感",
}


# The customer groups a filter names (at_risk, best, new, lapsed), in Chinese.
CUSTOMER_GROUPS_ZH = {"at_risk": "有流失风险的客户", "best": "最佳客户", "new": "新客户", "lapsed": "已流失客户"}


def aspect_zh(key: str, label: str = "") -> str:
    """An aspect's Chinese name, by its key ("fit") or its English label ("fit and sizing"); else `label` (or the
    key) as written."""
    if key in ASPECTS_ZH:
        return ASPECTS_ZH[key]
    from tools.aspects import load_aspects

    by_label = {a.label: a.key for a in load_aspects()}
    if (known := by_label.get(key, "")) in ASPECTS_ZH:
        return ASPECTS_ZH[known]
    from tools.aspects_zh import LEXICON  # aspects only Chinese reviews have ("workmanship": 做工)

    return LEXICON[key][0] if key in LEXICON else label or key


class Citation(BaseModel):
    """A review the answer relies on."""

    review_id: str
    snippet: str


@dataclass
class Written:
    """The answer being written: its text, the reviews it cites, its warnings, and the ids of shown reviews that
    read like instructions. `snippets` looks up review text by id (None where no store is at hand). `language` is
    the request's ("en" or "zh"): presenters write their section in it."""

    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    snippets: SnippetLookup | None = None
    language: str = "en"

    @property
    def chinese(self) -> bool:
        return self.language == "zh"

    def check(self, review_id: str, text: str) -> None:
        """Note a shown review that reads like instructions or carries links or personal data."""
        from tools.compliance import is_safe_quote  # loads the PII recognisers: only when an answer quotes

        if not is_safe_quote(text) and review_id not in self.flagged:
            self.flagged.append(review_id)

    def cite(self, review_id: str, snippet: str) -> None:
        if review_id and all(c.review_id != review_id for c in self.citations):
            self.citations.append(Citation(review_id=review_id, snippet=clip(snippet)))

    def warn(self, warning: str) -> None:
        """Add a warning once; a Chinese answer's in Chinese where `tools.warnings_zh` knows it."""
        if self.chinese:
            warning = warning_zh(warning)
        if warning not in self.warnings:
            self.warnings.append(warning)


def quotable(text: str, limit: int = MAX_SNIPPET) -> str:
    """Review text made inert for quoting inside the answer: one line, no quote marks or Markdown, links and
    email addresses replaced by a note; clipped to `limit`."""
    text = ZERO_WIDTH.sub("", text)
    text = EMAIL.sub("(email removed)", text)
    text = LINK.sub("(link removed)", text)
    return clip(text.translate(MARKUP), limit)


def clip(text: str, limit: int = MAX_SNIPPET) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def sentence(text: str) -> str:
    """`text` as a sentence: capitalised, ending with a full stop."""
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """ "1 review", "3 reviews"."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
