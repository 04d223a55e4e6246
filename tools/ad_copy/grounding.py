"""What ad copy may say about a product: the catalogue's facts and the aspects reviews praise, each with its
source, and one self-contained quote per praised aspect that is safe to show a model."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, Field

from core.errors import MarketingAgentError
from core.workspace import Workspace
from tools.ad_copy.sense import quote_problem
from tools.aspects import aspect_label
from tools.brand import BrandProfile, load_brand
from tools.catalogue import catalogue_row
from tools.compliance import Fact, Grounding, grounding_words, is_safe_quote
from tools.other_brands import other_brand_problem

QUOTE_CHARS = 80


class PraisedAspect(BaseModel):
    aspect: str
    label: str
    review_ids: list[str]
    quote: str = ""


class AdGrounding(BaseModel):
    facts: dict[str, str] = Field(description="Catalogue field -> text the copy may state.")
    praised: list[PraisedAspect]
    avoided: list[str] = Field(description="Aspects customers complain about: the copy may not claim them.")
    reviews_analysed: int
    quotes_dropped: int = Field(
        0,
        description="Praise quotes left out of the prompt because they looked unsafe (instructions, links, personal "
        "data, another brand's name).",
    )


def build_grounding(
    ws: Workspace, product: str, key_message: str, *, audience: str = "", brand: BrandProfile | None = None
) -> tuple[Grounding, AdGrounding]:
    """Catalogue facts and review praise for one product, each with its source. (`brand`: the workspace's
    profile when not given; its names, like the catalogue's, are the only ones a quote may carry.)"""
    row = catalogue_row(ws, product)
    pid = str(row["product_id"])
    facts = [
        Fact(str(row[c]), f"catalogue:{pid}.{c}")
        for c in ("name", "category", "subcategory", "description")
        if str(row.get(c, "") or "").strip()
    ]
    price = _price(row.get("price"))
    if price is not None:
        facts.append(Fact(f"${price:.2f}", f"catalogue:{pid}.price"))
    grounding = Grounding(
        product_id=pid,
        product_name=str(row["name"]),
        category=str(row.get("category", "") or ""),
        facts=facts,
        key_message=key_message,
        audience=audience,
    )
    insight = _insight(ws, pid)
    own = grounding_words(grounding, brand if brand is not None else load_brand(workspace=ws))
    praised, dropped = praised_aspects(insight, own)
    complaints = {a.aspect: [q.review_id for q in a.complaint_quotes] for a in insight.complaints}
    grounding.praised = {p.aspect: p.review_ids for p in praised}
    grounding.complaints = {k: v for k, v in complaints.items() if k not in grounding.praised}
    summary = AdGrounding(
        facts={f.source.split(".", 1)[1]: f.text for f in facts},
        praised=praised,
        avoided=[aspect_label(a) for a in grounding.complaints],
        reviews_analysed=insight.reviews_analysed,
        quotes_dropped=dropped,
    )
    return grounding, summary


def _price(value: Any) -> float | None:
    try:
        price = float(str(value).replace("$", "").replace(",", ""))
    except ValueError:
        return None
    return price if math.isfinite(price) and price >= 0 else None


def _insight(ws: Workspace, product_id: str) -> Any:
    from tools.reviews import review_insight

    try:
        return review_insight(product_ids=[product_id], quotes=3, top=8, workspace=ws)
    except MarketingAgentError:
        from tools.review_analysis import ReviewInsight

        return ReviewInsight(
            reviews_analysed=0,
            average_rating=None,
            rating_counts={},
            praised=[],
            complaints=[],
            aspects=[],
            sentiment_model="none",
        )


def praised_aspects(insight: Any, own: frozenset[str] = frozenset()) -> tuple[list[PraisedAspect], int]:
    """Praised aspects with their review ids, and one quote each that is safe to show a model: no instructions,
    links or personal data, and no name but the product's, the brand's and the catalogue's (`own`; none when not
    given): a quote that names another brand would carry it into the prompt and the templates."""
    praised, dropped = [], 0
    for aspect in insight.praised:
        ids = [q.review_id for q in aspect.praise_quotes]
        if not ids:
            continue
        safe = [q.text for q in aspect.praise_quotes if is_safe_quote(q.text) and not other_brand_problem(q.text, own)]
        dropped += len(aspect.praise_quotes) - len(safe)
        # a quote in copy must stand on its own: never "Besides that, ..." or a clipped "... and the"
        whole = [clipped for clipped in map(_clip, safe) if not quote_problem(clipped)]
        quote = whole[0] if whole else ""
        praised.append(
            PraisedAspect(aspect=aspect.aspect, label=short_label(aspect.aspect), review_ids=ids, quote=quote)
        )
    return praised, dropped


def short_label(aspect: str) -> str:
    """ "fit and sizing" -> "fit"; "see-through / sheer" -> "see-through"."""
    return re.split(r" and | / ", aspect_label(aspect))[0].strip()


def _clip(text: str) -> str:
    """A review quote short enough for a prompt or a template: whole if it fits, else its longest run of whole
    sentences or clauses that fits (at least 20 characters); else cut at a word, marked "..." (and then
    rejected by `quote_problem` as clipped)."""
    text = re.sub(r"\s+", " ", text).strip().strip('"')
    if len(text) <= QUOTE_CHARS and not text.endswith(("...", "\u2026")):
        return text
    head = text[: QUOTE_CHARS + 1]
    ends = [m.start() for m in re.finditer(r"[.!?,;](?=\s)", head) if m.start() >= 20]
    if ends:
        return head[: ends[-1] + (1 if head[ends[-1]] in ".!?" else 0)].strip()
    cut = text[:QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."
