"""Aspect mentions in Chinese review text ("物流太慢" -> shipping), by clause, with jieba segmentation.

    aspects_zh("衣服质量很好，就是尺码偏小，物流也慢")
    # -> [AspectPhrase(aspect="quality", label="质量", phrase="质量", clause="衣服质量很好"),
    #     AspectPhrase(aspect="fit", label="尺码", phrase="尺码", clause="就是尺码偏小"),
    #     AspectPhrase(aspect="shipping", label="物流/发货", phrase="物流", clause="物流也慢")]

A lexicon term counts only where jieba's words begin and end, so "价格" is found in "价格实惠" but "色" is never
found inside "特色". Keys are the English lexicon's (tools/data/aspects.yaml) where one means the same, so Chinese
and English mentions of a product count together; `find_mentions_zh` returns tools.aspects.Mention for
tools/review_analysis.py. Traditional characters are read as Simplified (OpenCC), the clause quoted as written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from core.zh import to_simplified
from tools.aspects import Mention
from tools.sentiment_zh import new_jieba_tokenizer

MAX_CHARS = 5_000  # longer text is cut: a review's aspects are in its first few thousand characters
CLAUSE = re.compile(r"[，,。.!！?？;；、~～…\n\r\t]+|\s{2,}")

# key: (label, terms separated by spaces). A term is a jieba word or a run of them; the longest one at a position wins.
LEXICON: dict[str, tuple[str, str]] = {
    "quality": ("质量", "质量 品质 质感 正品 假货 次品 瑕疵 质量问题"),
    "workmanship": ("做工", "做工 工艺 走线 线头 用料 开线 脱线 掉漆 毛边"),
    "shipping": ("物流/发货", "物流 快递 发货 送货 配送 到货 收到货 顺丰 京东快递 送达 运输 邮寄 快递员"),
    "price": (
        "价格/性价比",
        "价格 价钱 性价比 便宜 划算 实惠 贵 太贵 偏贵 值得买 不值 物有所值 物超所值 降价 价位 优惠",
    ),
    "fit": ("尺码", "尺码 尺寸 码数 大小 偏小 偏大 合身 不合身 号码 大一码 小一码 码子 肥大 紧身"),
    "packaging": ("包装", "包装 盒子 包装盒 外包装 封口 破损 压坏 纸箱 泡沫 瓶子 盖子 泵头 按压泵 漏液 撒了"),
    "service": ("客服", "客服 售后 服务态度 态度 退货 换货 退款 服务 售后服务 前台 商家 卖家"),
    "colour": ("颜色", "颜色 色差 褪色 掉色 色泽 配色"),
    "scent": ("味道", "味道 气味 异味 香味 口味 香气 难闻 好闻 刺鼻 香精味 香精"),
    "sound": ("音质", "音质 音效 音量 噪音 杂音 声音 低音 高音"),
    "battery": ("续航", "续航 电池 待机 充电 电量 耗电 充电器 没电 掉电 电量掉得快"),
    "comfort": ("舒适", "舒适 舒服 不舒服 柔软 透气 闷热 磨脚 硌 手感"),
    "fabric": ("面料/材质", "面料 布料 材质 材料 棉 纯棉 起球 掉毛"),
    "style": ("款式/外观", "款式 样式 外观 外形 版型 设计 好看 难看 漂亮"),
    "durability": ("耐用性", "耐用 耐穿 耐磨 结实 不耐用 开胶 脱胶 用坏 寿命"),
    "ease_of_use": ("易用性", "操作 上手 好用 难用 使用方便 用起来 说明书 连接 配对"),
    "skin_feel": ("肤感", "肤感 滋润 油腻 吸收 清爽 黏腻 爆痘 过敏 保湿"),
}


@dataclass(frozen=True)
class AspectPhrase:
    """One aspect a clause of a Chinese review talks about, and the words that said so."""

    aspect: str  # the lexicon key, e.g. "shipping"
    label: str  # its Chinese label, e.g. "物流/发货"
    phrase: str  # the lexicon term as found, e.g. "快递"
    clause: str  # the clause it was found in, as written


def aspects_zh(text: Any) -> list[AspectPhrase]:
    """Every (aspect, clause) in `text`, in order; an aspect counts once per clause. Non-text is no aspects."""
    if not isinstance(text, str):
        return []
    found: list[AspectPhrase] = []
    for clause in split_clauses_zh(text[:MAX_CHARS]):
        seen: set[str] = set()
        for key, term in _terms_in(to_simplified(clause)):
            if key not in seen:
                seen.add(key)
                found.append(AspectPhrase(key, LEXICON[key][0], term, clause))
    return found


def find_mentions_zh(review_id: str, text: Any) -> list[Mention]:
    """The English insight's shape (tools.aspects.find_mentions) for a Chinese review."""
    return [Mention(review_id, a.aspect, a.clause) for a in aspects_zh(text)]


def aspect_label_zh(key: str) -> str:
    return LEXICON[key][0] if key in LEXICON else key


def split_clauses_zh(text: str) -> list[str]:
    """Clauses split at Chinese and Latin punctuation and line breaks, trimmed, empty ones dropped."""
    return [c.strip() for c in CLAUSE.split(text) if c.strip()]


def _terms_in(clause: str) -> list[tuple[str, str]]:
    """(key, term) for each lexicon term that starts and ends on jieba word boundaries, longest first."""
    words = _segmenter().lcut(clause)
    boundaries = {0}
    position = 0
    for word in words:
        position += len(word)
        boundaries.add(position)
    matches: list[tuple[str, str]] = []
    index = _term_index()
    for start in sorted(boundaries):
        for term in index.get(clause[start : start + 1], ()):
            if clause.startswith(term, start) and start + len(term) in boundaries:
                matches.append((_term_keys()[term], term))
                break  # the longest term at this position
    return matches


@functools.cache
def _term_keys() -> dict[str, str]:
    return {term: key for key, (_, terms) in LEXICON.items() for term in terms.split()}


@functools.cache
def _term_index() -> dict[str, tuple[str, ...]]:
    """Terms by their first character, longest first."""
    by_first: dict[str, list[str]] = {}
    for term in _term_keys():
        by_first.setdefault(term[0], []).append(term)
    return {ch: tuple(sorted(terms, key=len, reverse=True)) for ch, terms in by_first.items()}


@functools.cache
def _segmenter() -> Any:
    """jieba (a private tokenizer) knowing every lexicon term as a word, so "性价比" is never split."""
    tokenizer = new_jieba_tokenizer()
    for term in _term_keys():
        tokenizer.add_word(term, freq=2_000)
    return tokenizer
