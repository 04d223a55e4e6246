"""The copywriter: candidates per field from the text generator and the templates, each checked against the hard
rules (tools/compliance.py) and for sense (sense.py), then assembled into ranked, diverse variants."""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from local_models.embeddings import MiniLMEmbedder
from local_models.textgen.base import GenerationOptions, ProviderError, TextGenerator
from tools.ad_copy.grammar import plural_name
from tools.ad_copy.grounding import AdGrounding
from tools.ad_copy.sense import SenseGrounding, check_sense
from tools.ad_copy.text import (
    CHANNEL_FIELDS,
    clean_copy,
    drop_unfinished,
    example_words,
    fit_to_limit,
    prompt_book,
    render_messages,
    short_fact,
)
from tools.brand import BrandProfile
from tools.compliance import Check, Claim, ComplianceReport, Grounding, Limits, check_fields
from tools.pii import find_pii

if TYPE_CHECKING:
    from tools.ad_copy.tool import GenerateAdCopyInput

# Samples per field kind, from one batched call that reads the prompt once (decoding dominates the cost here).
CANDIDATES = {"headline": 8, "meta_headline": 6, "subject": 6, "email_body": 4}
DEFAULT_CANDIDATES = 5
MAX_FOCUSES = 3
TEMPLATE_PENALTY = 0.8  # template copy ranks below model copy of the same quality
MIN_RELEVANCE = 0.2  # MiniLM cosine to the product's facts and praise below which copy is off topic
RELEVANCE_WEIGHT = 0.3
# Brand copy speaks as "we" to "you"; "I"/"my" is the model imitating a review or a chat.
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|(?i:me|my|mine|myself))\b")
NEGATIVE_TONE = -0.3  # VADER compound score below which copy reads as a complaint


def variant_id(product_id: str, channel: str, fields: dict[str, str]) -> str:
    """A variant's stable id: the same copy for the same product and channel always gets it, so a test's results
    (an experiment file's variant_id) come back to the copy they measured."""
    text = "\x1f".join([product_id, channel, *(f"{name}={value}" for name, value in sorted(fields.items()))])
    return "v-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class AdVariant(BaseModel):
    variant_id: str = Field(
        "", description="Stable id of this copy for this product and channel: use it as variant_id in test results."
    )
    fields: dict[str, str]
    score: float = Field(description="0-1: grounding, use of the space, key message, clean endings, diversity.")
    compliance: ComplianceReport
    evidence: list[Claim] = Field(description="Each product claim and the review ids / catalogue fields behind it.")
    sources: dict[str, str] = Field(
        description="Per field: model (written by the LLM), template, catalogue (the product name) or fixed."
    )


@dataclass
class Candidate:
    text: str
    source: str  # model, template or fixed
    score: float
    report: ComplianceReport


class CopyWriter:
    """Writes candidates per field, keeps the ones that pass, and assembles ranked variants."""

    def __init__(
        self,
        generator: TextGenerator,
        brand: BrandProfile,
        grounding: Grounding,
        summary: AdGrounding,
        request: GenerateAdCopyInput,
        *,
        embedder: MiniLMEmbedder,
    ) -> None:
        self.generator = generator
        self._tuned = getattr(generator, "tuned_for", None) == "ad_copy"  # trained without worked examples
        # The small local model's fields that pass every other rule were rated nonsense 3 times in 4 (issue 21):
        # its fields may not bring in words that nothing backs. A remote model's (OpenAI) are judged as before.
        self._strict = getattr(generator, "name", "") == "local"
        self.embedder = embedder
        self.brand = brand
        self.grounding = grounding
        self.summary = summary
        self.request = request
        self.fields = CHANNEL_FIELDS[request.channel]
        self.limits = Limits({name: limit for name, (limit, _) in self.fields.items()})
        self.candidates = 0
        self.rejected: Counter[str] = Counter()
        self.warnings: list[str] = []
        self.seed = request.seed if request.seed is not None else _stable_seed(grounding.product_id, request.channel)
        self._pools: dict[str, list[Candidate]] = {}
        seen = [f.text for f in grounding.facts] + [grounding.key_message, request.audience or "", request.tone or ""]
        seen += [f"{p.label} {p.quote}" for p in summary.praised]
        self._leaks = example_words() - _words(" ".join(seen), min_length=1)
        self.sense = SenseGrounding(
            product_name=grounding.product_name,
            category=grounding.category,
            facts=[f.text for f in grounding.facts],
            praised=[p.label for p in summary.praised],
            quotes=[p.quote for p in summary.praised if p.quote],
            brief=[request.key_message or "", request.audience or ""],
            complaints=list(grounding.complaints),
            brand=brand.name or "",
        )

    def write(self) -> tuple[list[AdVariant], list[str]]:
        pools = {kind: self._pool(kind) for kind in dict.fromkeys(k for _, k in self.fields.values())}
        variants = self._assemble(pools)
        warnings = []
        if len(variants) < self.request.n_variants:
            warnings.append(
                f"only {len(variants)} of {self.request.n_variants} variants passed every rule; "
                "add a key message or more reviews, or ask for fewer variants"
            )
        return variants, warnings

    # -- candidates

    def _pool(self, kind: str) -> list[Candidate]:
        """Passing candidates for one field kind, best first (computed once per kind)."""
        if kind not in self._pools:
            self._pools[kind] = self._new_pool(kind)
        return self._pools[kind]

    def _new_pool(self, kind: str) -> list[Candidate]:
        if kind == "fixed":
            return [self._check_fixed()]
        if kind == "name":
            name = self._candidate(next(iter(self.fields)), self.grounding.product_name, "catalogue")
            return [name] if name else self._pool("headline")
        field_name, limit = self._field_of(kind)
        written = self._model_texts(kind, limit)
        pool = [c for c in (self._candidate(field_name, t, "model", logprob) for t, logprob in written) if c]
        pool += [c for c in (self._candidate(field_name, t, "template") for t in self._template_texts(kind)) if c]
        pool = self._rerank(pool)
        unique: dict[str, Candidate] = {}
        for c in sorted(pool, key=lambda c: -c.score):
            unique.setdefault(c.text.casefold(), c)
        return list(unique.values())

    def _field_of(self, kind: str) -> tuple[str, int]:
        name = next(n for n, (_, k) in self.fields.items() if k == kind)
        limit = self.fields[name][0]
        if kind == "sms":  # room for the brand's opt-out, which is appended
            limit -= len(" ".join(self.brand.disclaimers("sms"))) + 1
        return name, limit

    def _model_texts(self, kind: str, limit: int) -> list[tuple[str, float | None]]:
        """The model's candidates for `kind`, cleaned and fitted to `limit`, each with the model's mean
        log-probability per token of the sample it came from (None where the backend does not report it)."""
        texts: list[tuple[str, float | None]] = []
        spec = prompt_book()["kinds"][kind]
        for i, focus in enumerate(self._focuses()):
            data = self._prompt_data(focus)
            messages = render_messages(kind, data, self.brand, worked_examples=not self._tuned)
            options = GenerationOptions(
                max_tokens=int(spec["max_tokens"]),
                temperature=0.8,
                stop=("\n",),
                seed=self.seed + 101 * i + len(kind),
                n=CANDIDATES.get(kind, DEFAULT_CANDIDATES),
            )
            try:
                generation = self.generator.generate(messages, options)
            except ProviderError as exc:
                self.warnings.append(f"the text generator failed ({exc}); copy was built from the grounding")
                return texts
            self.warnings += [w for w in generation.warnings if w not in self.warnings]
            reasons = generation.finish_reasons or ["stop"] * len(generation.texts)
            logprobs: list[float | None] = [*generation.mean_logprobs] or [None] * len(generation.texts)
            fitted = [
                (fit_to_limit(drop_unfinished(clean_copy(t)) if why == "length" else clean_copy(t), limit), logprob)
                for t, why, logprob in zip(generation.texts, reasons, logprobs, strict=False)
            ]
            self.rejected["length"] += sum(1 for t, _ in fitted if not t)
            texts += [(t, logprob) for t, logprob in fitted if t]
            self.candidates += len(generation.texts)
        return texts

    def _focuses(self) -> list[str]:
        """What the copy should be about: one prompt, so the samples vary in what they pick up."""
        praised = " and ".join(p.label for p in self.summary.praised[:MAX_FOCUSES])
        if self.request.key_message:
            return ["the key message" + (f", and {praised}" if praised else "")]
        return [praised or "what the product is"]

    def _prompt_data(self, focus: str) -> dict[str, Any]:
        description = self.summary.facts.get("description", "")
        return {
            "name": self.grounding.product_name,
            "category": self.grounding.category,
            "facts": description[:300],
            "praised": [{"label": p.label, "quote": p.quote} for p in self.summary.praised[:3]],
            "audience": self.request.audience or "",
            "key_message": self.request.key_message or "",
            "focus": focus,
            "tone": self.request.tone or ", ".join(self.brand.tone_words[:2]) or "warm",
        }

    def _template_texts(self, kind: str) -> list[str]:
        """Copy built from the grounding alone. A quote goes with the aspect the copy names ("Customers keep
        mentioning its scent: "...""), so it is always one of that aspect's praise quotes."""
        praised = self.summary.praised
        quotes = {p.label: p.quote for p in praised if p.quote and len(p.quote) < 60}
        fact = short_fact(self.summary.facts.get("description", ""))
        name = self.grounding.product_name
        its, its_or_the = ("their", "the") if plural_name(name) else ("its", "its")
        values = {"name": name, "brand": self.brand.name or "Us", "fact": fact, "its": its, "its_or_the": its_or_the}
        values |= {"Its": its.title(), "Its_or_The": its_or_the.title()}
        out = []
        labels = [p.label for p in praised[:3]]
        # each aspect leads once before any leads twice ("fit and look", "look and colour", "colour and fit")
        turns = [(a, labels[(i + 1) % len(labels)]) for i, a in enumerate(labels)] if len(labels) > 1 else []
        pairs = list(dict.fromkeys(turns + list(itertools.permutations(labels, 2))))
        pairs = pairs or [(label, "") for label in labels] or [("", "")]
        for pattern in prompt_book()["templates"][kind]:
            for a, b in pairs[:3]:
                if ("{aspect" in pattern.lower() and not a) or ("{aspect2" in pattern.lower() and not b):
                    continue
                quote = quotes.get(a, "")
                if ("{quote}" in pattern and not quote) or ("{fact}" in pattern and not fact):
                    continue
                text = pattern.format(**values, quote=quote, aspect=a, aspect2=b, Aspect=a.title(), Aspect2=b.title())
                out.append(fit_to_limit(clean_copy(text), self._field_of(kind)[1]))
        return [t for t in dict.fromkeys(out) if t]

    def _candidate(
        self, field_name: str, text: str, source: str, mean_logprob: float | None = None
    ) -> Candidate | None:
        """`text` as a candidate for `field_name` if it passes every hard rule and the sense check, else None
        (a model candidate's failures are counted in `rejected`)."""
        body = text
        if field_name == "text" and self.request.channel == "sms":
            text = f"{text} {' '.join(self.brand.disclaimers('sms'))}".strip()
        report = check_fields(
            {field_name: text}, self.limits, self.request.channel, self.brand, self.grounding, whole_variant=False
        )
        unquoted = re.sub(r'"[^"]*"', "", text)  # a quoted customer may say "I"; the brand may not
        person = FIRST_PERSON.search(unquoted)
        if person:
            report.passed = False
            report.failures.append(Check(rule="first_person", passed=False, field=field_name, detail=person.group(0)))
        personal = find_pii(text)  # addresses, international phones and 2-series cards too (compliance's own check
        if personal and all(f.rule != "personal_data" for f in report.failures):  # reads emails, phones, cards)
            report.passed = False
            detail = personal[0].kind.lower().replace("_", " ")
            report.failures.append(Check(rule="personal_data", passed=False, field=field_name, detail=detail))
        leaked = self._leaks & _words(text, min_length=3)
        if leaked:
            report.passed = False
            report.failures.append(
                Check(rule="copied_example", passed=False, field=field_name, detail=", ".join(sorted(leaked)))
            )
        if report.passed and source in {"model", "template"}:
            kind = self.fields[field_name][1]
            sense = check_sense(
                body, kind, self.sense, model_written=source == "model", mean_logprob=mean_logprob, strict=self._strict
            )
            if not sense.passed:
                report.passed = False
                report.failures.append(
                    Check(rule=f"sense_{sense.rule}", passed=False, field=field_name, detail=sense.detail)
                )
        if not report.passed:
            if source == "model":
                self.rejected.update({f.rule for f in report.failures})
            return None
        score = self._field_score(field_name, text, report) * (TEMPLATE_PENALTY if source == "template" else 1.0)
        return Candidate(text, source, score, report)

    def _rerank(self, pool: list[Candidate]) -> list[Candidate]:
        """Drop copy that reads negative (VADER) or strays from the product (MiniLM cosine to its facts and
        praise below a floor); add relevance to the score of the rest."""
        if not pool:
            return pool
        relevance = self._relevance([c.text for c in pool])
        tone = _negativity([c.text for c in pool])
        kept = []
        for candidate, similar, negative in zip(pool, relevance, tone, strict=True):
            rule = "negative_tone" if negative else "off_topic" if similar < MIN_RELEVANCE else ""
            if rule:
                if candidate.source == "model":
                    self.rejected[rule] += 1
                continue
            candidate.score = round(candidate.score + RELEVANCE_WEIGHT * min(1.0, similar / 0.6), 4)
            kept.append(candidate)
        return kept

    def _relevance(self, texts: list[str]) -> list[float]:
        """Highest cosine similarity of each text to the product's description and praise quotes."""
        references = [self.grounding.product_name + ". " + self.summary.facts.get("description", "")]
        references += [f"{p.label}: {p.quote}" for p in self.summary.praised[:MAX_FOCUSES] if p.quote]
        vectors = self.embedder.embed([*texts, *references])
        similarity = vectors[: len(texts)] @ vectors[len(texts) :].T  # (T, R), rows are L2-normalised
        return [float(v) for v in similarity.max(axis=1)]

    def _check_fixed(self) -> Candidate:
        text = " ".join(self.brand.disclaimers(self.request.channel)) or (self.brand.name or "")
        report = check_fields(
            {"footer": text}, self.limits, self.request.channel, self.brand, self.grounding, whole_variant=False
        )
        return Candidate(text, "fixed", 1.0, report)

    def _field_score(self, field_name: str, text: str, report: ComplianceReport) -> float:
        limit = self.limits.fields[field_name]
        grounded = min(1.0, len({c.text.split(":")[0] for c in report.claims if c.kind == "aspect"}) / 1.0)
        space = min(1.0, len(text) / (0.5 * limit))
        key = 1.0
        if self.request.key_message:
            wanted = _words(self.request.key_message)
            key = len(wanted & _words(text)) / max(1, len(wanted))
        clean = 1.0 if re.search(r"[\w.!?)\"]$", text) and not text[:1].islower() else 0.5
        return round(0.3 * grounded + 0.15 * space + 0.1 * key + 0.15 * clean, 4)  # + relevance (0.3), see _rerank

    # -- variants

    def _assemble(self, pools: dict[str, list[Candidate]]) -> list[AdVariant]:
        """Greedy: each variant takes, per field, the best candidate not used yet, penalised by its word
        overlap with copy already chosen; variants that break a whole-variant rule are dropped."""
        used: dict[str, set[str]] = {kind: set() for kind in pools}
        chosen_words: list[set[str]] = []
        variants: list[AdVariant] = []
        for _ in range(self.request.n_variants * 2):
            if len(variants) == self.request.n_variants:
                break
            picked = self._pick(pools, used, chosen_words)
            if picked is None:
                break
            fields = {name: c.text for name, c in picked.items()}
            report = check_fields(fields, self.limits, self.request.channel, self.brand, self.grounding)
            for kind, c in zip((k for _, k in self.fields.values()), picked.values(), strict=True):
                if kind not in {"fixed", "name"}:
                    used[kind].add(c.text)
            if not report.passed:
                self.rejected.update({f.rule for f in report.failures})
                continue
            chosen_words.append(_words(" ".join(fields.values())))
            score = sum(c.score for c in picked.values()) / len(picked)
            variants.append(
                AdVariant(
                    variant_id=variant_id(self.grounding.product_id, self.request.channel, fields),
                    fields=fields,
                    score=round(score, 4),
                    compliance=report,
                    evidence=report.claims,
                    sources={name: c.source for name, c in picked.items()},
                )
            )
        return sorted(variants, key=lambda v: -v.score)

    def _pick(
        self, pools: dict[str, list[Candidate]], used: dict[str, set[str]], chosen: list[set[str]]
    ) -> dict[str, Candidate] | None:
        picked: dict[str, Candidate] = {}
        in_variant: set[str] = set()
        for name, (_, kind) in self.fields.items():
            options = [
                c
                for c in pools[kind]
                if kind in {"fixed", "name"} or (c.text not in used[kind] and c.text not in in_variant)
            ]
            if not options:
                return None
            best = max(options, key=lambda c: c.score - 0.3 * _overlap(c.text, chosen))
            picked[name] = best
            in_variant.add(best.text)
        return picked


def _negativity(texts: list[str]) -> list[bool]:
    analyzer = tone_analyzer()
    return [analyzer.polarity_scores(t)["compound"] < NEGATIVE_TONE for t in texts]


@functools.cache
def tone_analyzer() -> Any:
    """VADER, loaded once per process (reading its lexicon takes a moment)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _overlap(text: str, chosen: Sequence[set[str]]) -> float:
    words = _words(text)
    if not words or not chosen:
        return 0.0
    return max(len(words & other) / len(words) for other in chosen)


def _words(text: str, min_length: int = 4) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z-]*", text.lower()) if len(w) >= min_length}


def _stable_seed(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)
