"""The offline router: a marketer's message (plus the previous plan, for follow-ups) -> a Plan. No LLM.

    router = Router("workspace")
    plan = router.plan("Forecast the Aurora dress for the next 8 weeks")
    again = router.plan("and for next quarter?", context=plan)

The router reads only the user's message and the previous plan: nothing a tool returns (review text
included) ever reaches it, so retrieved text cannot choose a tool. Warm, a plan takes a few milliseconds
(one MiniLM call per request, regexes and a catalogue index); the first plan in a process loads MiniLM and
trains the intent classifier (~1-2 s, cached per process).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

from agent.router.catalogue import Catalogue
from agent.router.chinese import ChineseReader, Product, is_chinese
from agent.router.choice import choose_intent
from agent.router.intents import Embedder, IntentScorer
from agent.router.lexicon import Lexicon, load_exemplars, load_lexicon
from agent.router.planner import Planner, generic_question
from agent.router.slots import MONTHS, extract
from agent.router.steps import Step
from agent.router.text import Fragment, Vocabulary, english_words, normalise, split_steps, strip_opener
from agent.types import Plan
from core.errors import MarketingAgentError
from core.workspace import Workspace
from tools.catalogue import catalogue_path
from tools.registry import TOOLS

MAX_MESSAGE_CHARS = 4000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RoutingError(MarketingAgentError):
    """A request the router cannot read at all (too long, not text)."""


class Router:
    """Offline router over the workspace's catalogue. Thread-safe; create one per workspace and reuse it."""

    def __init__(self, workspace: str | Path | Workspace | None = None, *, embedder: Embedder | None = None) -> None:
        self.workspace = Workspace.open(workspace)
        self.lexicon: Lexicon = load_lexicon()
        self._embedder = embedder
        self._scorer: IntentScorer | None = None
        self._catalogue: tuple[float, Catalogue, Vocabulary] | None = None
        self._reader: tuple[Catalogue, ChineseReader] | None = None  # built at the first Chinese request
        self._lock = threading.Lock()

    @property
    def catalogue_path(self) -> Path:
        return catalogue_path(self.workspace)

    def warm_up(self) -> Router:
        """Load MiniLM, train the intent classifier and index the catalogue now rather than on the first plan."""
        self._scorer_now()
        self._catalogue_now()
        return self

    def plan(self, message: str, context: Plan | None = None, *, today: date | None = None) -> Plan:
        """The plan for `message`; `context` is the previous turn's plan (for "and for next quarter?")."""
        typed = _validated(message)
        language = "zh" if is_chinese(typed) else "en"
        if not typed:
            return Plan(kind="clarify", message=generic_question(), request=message, missing="intent", language="en")
        catalogue, vocabulary = self._catalogue_now()
        # a Chinese request is read as the English router reads its twin (agent/router/chinese.py)
        text = self._reader_now().read(typed).text if language == "zh" else typed
        fragments = split_steps(text, self.lexicon, vocabulary)
        scores = self._scorer_now().score([f.text for f in fragments])
        only = tuple(context.suggestions) if context is not None and context.kind == "clarify" else ()
        injected = self._injection(text, vocabulary) or (language == "zh" and self._injection(typed, vocabulary))
        alone = len(fragments) == 1 and context is None
        steps = [
            self._step(f, s, catalogue, vocabulary, today or date.today(), only, injected=injected, alone=alone)
            for f, s in zip(fragments, scores, strict=True)
        ]
        planned = Planner(catalogue, self.lexicon, language).plan(typed, steps, context)
        return _typed_messages_only(planned, typed, context, self.lexicon) if language == "zh" else planned

    # ---- pieces ------------------------------------------------------------------------------------------

    def _step(
        self,
        fragment: Fragment,
        scores: dict[str, float],
        catalogue: Catalogue,
        vocabulary: Vocabulary,
        today: date,
        only: tuple[str, ...],
        *,
        injected: bool,
        alone: bool,
    ) -> Step:
        slots = extract(fragment, catalogue, self.lexicon, vocabulary, today)
        if only and not slots.mention.products:
            answer = extract(fragment, catalogue, self.lexicon, vocabulary, today, only=only)
            if answer.mention.products:
                slots = replace(slots, mention=answer.mention)
        if injected:
            return Step(fragment, scores, "out_of_scope", slots, refusal="injection")
        if any(p.search(strip_opener(fragment.text, self.lexicon)) for p in self.lexicon.actions):
            return Step(fragment, scores, "out_of_scope", slots, refusal="action")
        missing = self._not_yet(fragment)
        if missing is not None:
            return Step(fragment, scores, "out_of_scope", slots, refusal=f"not_yet:{missing}")
        cues = self._scorer_now().cues(fragment.text)
        return Step(fragment, scores, choose_intent(scores, cues, slots, alone=alone), slots)

    def _not_yet(self, fragment: Fragment) -> str | None:
        """The job a step asks for that no registered tool does yet (recommendations, budgets, ...), if any."""
        for tool, job in self.lexicon.not_yet.items():
            if tool not in TOOLS and any(p.search(fragment.text) or p.search(fragment.raw) for p in job.patterns):
                return job.what
        return None

    def _injection(self, text: str, vocabulary: Vocabulary) -> bool:
        """Attempts to rewrite the agent's rules, anywhere in the message (typos repaired first)."""
        readings = (text, normalise(text, self.lexicon, vocabulary).text)
        return any(p.search(reading) for p in self.lexicon.injection for reading in readings)

    def _scorer_now(self) -> IntentScorer:
        with self._lock:
            if self._scorer is None:
                embedder = self._embedder
                if embedder is None:
                    from tools.models import embedder as settings_embedder

                    embedder = settings_embedder(self.workspace.settings)
                self._scorer = IntentScorer(embedder, self.lexicon, load_exemplars())
            return self._scorer

    def _catalogue_now(self) -> tuple[Catalogue, Vocabulary]:
        """The catalogue, re-read when the file changes (the demo builder or an import may rewrite it)."""
        path = self.catalogue_path
        stamp = path.stat().st_mtime if path.exists() else 0.0
        with self._lock:
            if self._catalogue is None or self._catalogue[0] != stamp:
                catalogue = Catalogue.load(path, self.lexicon)
                self._catalogue = (stamp, catalogue, self._vocabulary(catalogue))
            return self._catalogue[1], self._catalogue[2]

    def _reader_now(self) -> ChineseReader:
        """The Chinese reader for the current catalogue (an index of its Chinese names): built at the first Chinese
        request, so English-only use never pays for it, and again when the catalogue changes."""
        catalogue, _ = self._catalogue_now()
        with self._lock:
            if self._reader is None or self._reader[0] is not catalogue:
                products = [
                    Product(p.product_id, p.name, p.name_zh, p.subcategory) for p in catalogue.products.values()
                ]
                self._reader = (catalogue, ChineseReader(products))
            return self._reader[1]

    def _vocabulary(self, catalogue: Catalogue) -> Vocabulary:
        names = {
            w
            for p in catalogue.products.values()
            for w in re.findall(r"[a-z]+", f"{p.name} {p.category} {p.subcategory}".lower())
        }
        examples = {w for t in load_exemplars().texts for w in re.findall(r"[a-z]+", t)}
        targets = self.lexicon.words | names | examples | set(self.lexicon.tones) | set(MONTHS)
        return Vocabulary(targets, english_words())


def _typed_messages_only(planned: Plan, typed: str, context: Plan | None, lexicon: Lexicon) -> Plan:
    """A Chinese request's key message as the user typed it, or none. The English reading keeps only the words the
    phrasebook knows ("提醒VIP客户年底补货" reads "reminding VIP customers years restock"), which copy must never
    say; a message typed in English ("key message 是 free gift wrap"), an offer ("15% off") or one carried over
    from the previous turn is kept."""
    seen = unicodedata.normalize("NFKC", typed).casefold()
    earlier = {c.arguments.get("key_message") for c in [*context.calls, *context.pending]} if context else set()
    for call in [*planned.calls, *planned.pending]:
        message = call.arguments.get("key_message")
        if not isinstance(message, str) or message in earlier:
            continue
        if any((found := p.search(message)) and found.group().strip() == message.strip() for p in lexicon.offers):
            continue
        typed_part = _longest_typed_run(message, seen)
        if typed_part:
            call.arguments["key_message"] = typed_part
        else:
            del call.arguments["key_message"]
    return planned


def _longest_typed_run(message: str, seen: str) -> str:
    """The longest run of the message's words typed as they are ("is free gift wrap" from "key message 是 free
    gift wrap": "free gift wrap"), if it holds most of the message and at least two words (or all of it)."""
    words = message.split()
    runs = (words[i:j] for i in range(len(words)) for j in range(len(words), i, -1))
    best = max((run for run in runs if " ".join(run).casefold() in seen), key=len, default=[])
    return " ".join(best) if len(best) == len(words) or (len(best) >= 2 and 2 * len(best) >= len(words)) else ""


def _validated(message: object) -> str:
    """The message as text without control characters; clear errors for what cannot be a request."""
    if not isinstance(message, str):
        raise RoutingError(f"a request must be text, got {type(message).__name__}")
    if len(message) > MAX_MESSAGE_CHARS:
        raise RoutingError(
            f"the request is {len(message):,} characters; keep it under {MAX_MESSAGE_CHARS:,} "
            "(ask one thing at a time, or put data in a file and name it)"
        )
    return CONTROL.sub(" ", message).strip()
