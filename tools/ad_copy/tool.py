"""generate_ad_copy: channel-aware ad copy grounded in what customers say, checked against the brand's rules.

The grounding comes first: the catalogue's facts and the aspects reviews praise (with review ids), fenced as
data in the prompt. A text generator (local SmolLM2 by default, or OpenAI) writes several candidates per field,
few-shot; every candidate is cleaned, fitted to its length limit, checked against the hard rules
(tools/compliance.py) and then for sense (sense.py: does it read as copy for this product?). Variants are
assembled from passing candidates for diversity and ranked by score. Copy built from the grounding alone fills a
field only when no model candidate passes, and each variant's `sources` says which fields the model wrote.
Nothing that breaks a hard rule is returned; when too few variants pass, the result says so.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.workspace import Workspace
from local_models.textgen.base import TextGenerator
from tools.ad_copy.grounding import AdGrounding, build_grounding
from tools.ad_copy.text import CHANNEL_FIELDS, Channel, channel_limits
from tools.ad_copy.writer import AdVariant, CopyWriter
from tools.brand import load_brand
from tools.models import copywriter, embedder
from tools.pii import redact
from tools.unit import fields_of


class GenerateAdCopyInput(BaseModel):
    """Ad copy for one product on one channel, grounded in its catalogue facts and what reviews praise."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=200, description="Product id or name from the catalogue.")
    channel: Channel = Field("google_search", description="google_search, meta_feed, email or sms.")
    n_variants: int = Field(3, ge=1, le=10, description="How many variants to return.")
    tone: str | None = Field(None, max_length=100, description="e.g. warm, playful (default: the brand's tone).")
    audience: str | None = Field(None, max_length=300, description="Who the copy is for, e.g. a segment name.")
    key_message: str | None = Field(
        None, max_length=300, description="Something the copy must get across (offers belong here)."
    )
    seed: int | None = Field(None, description="Same seed, same inputs: the same copy (local model).")


class GenerateAdCopyResult(BaseModel):
    product_id: str
    product_name: str
    channel: str
    variants: list[AdVariant]
    grounding: AdGrounding
    candidates: int = Field(description="Field candidates the model wrote.")
    rejected: dict[str, int] = Field(description="Hard rule -> model candidates it rejected.")
    backend: str
    model: str
    seconds: float
    summary: str
    warnings: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def limits(self) -> dict[str, int]:
        """Field -> its character limit on this channel (what the copy was checked against)."""
        return channel_limits(self.channel) if self.channel in CHANNEL_FIELDS else {}


# ----------------------------------------------------------------------------------------------------
# The tool


def generate_ad_copy(
    *,
    product: str,
    channel: Channel = "google_search",
    n_variants: int = 3,
    tone: str | None = None,
    audience: str | None = None,
    key_message: str | None = None,
    seed: int | None = None,
    workspace: str | Path | Workspace | None = None,
    generator: TextGenerator | None = None,
) -> GenerateAdCopyResult:
    """Write ad copy variants for a product on a channel (google_search, meta_feed, email or sms), grounded in
    what reviews praise and the catalogue's facts, each checked against channel limits and the brand's rules,
    with the evidence (review ids, catalogue fields) behind every product claim."""
    request, redacted = _without_personal_data(GenerateAdCopyInput.model_validate(fields_of(locals())))
    started = time.perf_counter()
    ws = Workspace.open(workspace)
    brand = load_brand(workspace=ws)
    grounding, summary = build_grounding(
        ws, request.product, request.key_message or "", audience=request.audience or "", brand=brand
    )
    if generator is None:
        generator = copywriter(ws.settings, ws.root)
    writer = CopyWriter(generator, brand, grounding, summary, request, embedder=embedder(ws.settings))
    variants, warnings = writer.write()
    result = GenerateAdCopyResult(
        product_id=grounding.product_id,
        product_name=grounding.product_name,
        channel=request.channel,
        variants=variants,
        grounding=summary,
        candidates=writer.candidates,
        rejected=dict(writer.rejected.most_common()),
        backend=generator.name,
        model=generator.model,
        seconds=round(time.perf_counter() - started, 3),
        summary="",
        warnings=[*redacted, *writer.warnings, *warnings],
    )
    result.summary = _summary(result, request.n_variants)
    return result


def _without_personal_data(request: GenerateAdCopyInput) -> tuple[GenerateAdCopyInput, list[str]]:
    """The brief with personal data replaced by tags: it goes into prompts (perhaps to a remote model), and copy
    may not carry personal data anyway."""
    changed: dict[str, str] = {}
    for name in ("key_message", "audience", "tone"):
        value = getattr(request, name)
        if value and redact(value).changed:
            changed[name] = redact(value).text
    if not changed:
        return request, []
    fields = ", ".join(name.replace("_", " ") for name in changed)
    return request.model_copy(update=changed), [f"Personal data in the {fields} was removed before writing copy."]


def _summary(result: GenerateAdCopyResult, wanted: int) -> str:
    praised = ", ".join(p.label for p in result.grounding.praised[:3]) or "no praised aspects"
    text = (
        f"{len(result.variants)} {result.channel} variant{'s' if len(result.variants) != 1 else ''} for "
        f"{result.product_name}, grounded in {result.grounding.reviews_analysed} reviews (praised: {praised})."
    )
    if len(result.variants) < wanted:
        text += f" Only {len(result.variants)} of {wanted} requested passed every rule."
    return text
