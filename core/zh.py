"""Numbers, money, dates and phrases as a Chinese (简体中文) answer writes them.

Chinese answers keep thousands separators ("12,345"), the store's own currency sign ("$1,234": the demo store sells
in dollars, and nothing is converted), plain percentages ("12%") and write dates as 2026年11月30日. Every figure is
formatted here with the same precision the English answer uses, so a Chinese answer states the same numbers.

English text that a tool wrote (a forecast's drivers, a decision's reason) is reworded by a `Phrasebook`: hand-written
patterns, each with its Chinese template; text no pattern knows stays as written (never a guess).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LIST_SEPARATOR = "、"


def to_simplified(text: str) -> str:
    """Traditional characters as Simplified (OpenCC t2s, one character for one): the script the phrasebooks, the
    aspect lexicon and the sentiment model are written in."""
    return str(_t2s().convert(text))


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def has_chinese(text: str) -> bool:
    """True when `text` holds at least one Chinese character."""
    return CJK.search(text) is not None


def number(value: float, digits: int = 0) -> str:
    """12345.6 -> "12,346" (digits=0), "12,345.60" (digits=2)."""
    return f"{value:,.{digits}f}"


def money(value: float, digits: int = 0) -> str:
    """1234 -> "$1,234": the store's currency as stored, never converted."""
    return f"${value:,.{digits}f}"


def percent(share: float, digits: int = 0, *, signed: bool = False) -> str:
    """0.123 -> "12%"; signed: "+12%" / "-12%"."""
    return f"{share:+.{digits}%}" if signed else f"{share:.{digits}%}"


def day(value: date | datetime | str) -> str:
    """date(2026, 11, 30) or "2026-11-30" -> "2026年11月30日" (a string that is not an ISO date stays as it is)."""
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return day(parsed)
    return f"{value.year}年{value.month}月{value.day}日"


def interval(low: str, high: str, level: int = 80) -> str:
    """An uncertainty interval from two formatted bounds: "80% 区间 1,200 至 1,800"."""
    return f"{level}% 区间 {low} 至 {high}"


def joined(items: Iterable[str]) -> str:
    """Items in a Chinese list: "A、B、C"."""
    return LIST_SEPARATOR.join(items)


def card_line(model: Mapping[str, Any]) -> str:
    """The Chinese twin of `core.model_card.card_line`: "_模型卡：`models/x/card.md`（验证：...）。_"."""
    path = model.get("card")
    if not path:
        return ""
    summary = HEADLINE(str(model.get("card_headline") or ""))
    return f"_模型卡：`{path}`{f'（验证：{summary}）' if summary else ''}。_"


@dataclass(frozen=True)
class Phrase:
    """One English pattern and its Chinese template (`str.format` over the pattern's named groups)."""

    pattern: re.Pattern[str]
    template: str


class Phrasebook:
    """Hand-written rewordings of the English sentences a tool writes: the first whole-text match wins. `labels`
    maps a captured value that has a Chinese name (a segment, a channel) to that name."""

    def __init__(self, phrases: Iterable[tuple[str, str]], labels: Mapping[str, str] | None = None) -> None:
        self.phrases = tuple(Phrase(re.compile(p, re.DOTALL), t) for p, t in phrases)
        self.labels = dict(labels or {})

    def __call__(self, text: str) -> str:
        """`text` in Chinese when a phrase knows it, else `text` unchanged."""
        for phrase in self.phrases:
            found = phrase.pattern.fullmatch(text.strip())
            if found is not None:
                groups = {k: self.labels.get(v, v) if v is not None else "" for k, v in found.groupdict().items()}
                return phrase.template.format(**groups)
        return text

    def knows(self, text: str) -> bool:
        return any(p.pattern.fullmatch(text.strip()) for p in self.phrases)


# A model card's headline (`core.model_card.headline`): "recall@20 0.412 vs 0.330 for popularity".
HEADLINE = Phrasebook(
    [
        (
            r"(?P<metric>.+?) (?P<value>[-\d.,e+]+) vs (?P<base>[-\d.,e+]+) for (?P<baseline>.+)",
            "{metric} {value}，基线（{baseline}）为 {base}",
        ),
        (r"no validation figure \(see the card\)", "没有验证数据（见模型卡）"),
    ]
)
