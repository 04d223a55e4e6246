"""Reading a request: tokens, typo repair, number words, and splitting it into steps.

Typos are repaired only towards words the router acts on (lexicon cues, catalogue names, exemplar words), and
only for words that are not already English (MiniLM's word list): "forcast" -> "forecast", "skilet" ->
"skillet", while "boost" stays "boost".
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agent.router.lexicon import STRONG_CUE, Lexicon, all_cues
from tools.number_words import compounds_as_digits

WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
ID_JOINS = frozenset("-./_:#")  # what joins the words of a product id typed as one ("SKU-4471-BL", "AB.12/x")
SENTENCE_END = re.compile(r"[.?!:;]\s*$")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(frozen=True)
class Token:
    """One word of a request: as typed, and as the router reads it."""

    raw: str  # as typed
    norm: str  # lower case, typo repaired, number words as digits
    capitalised: bool  # typed with a capital where a sentence does not start
    joined: str = ""  # the text between the previous word and this one ("-" inside "SKU-4471"; "" for the first)

    @property
    def glued(self) -> bool:
        """Typed as part of one code with the word before it ("4471" in "SKU-4471", not in "SKU 4471")."""
        return self.joined in ID_JOINS

    @property
    def stem(self) -> str:
        return stem(self.norm)


@dataclass
class Fragment:
    """A piece of a request that may be one step of a plan."""

    raw: str
    text: str  # normalised
    tokens: list[Token] = field(default_factory=list)


def stem(word: str) -> str:
    """A crude singular, enough to match "sneakers" with "Sneakers" and "boots" with "boot"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class Vocabulary:
    """Known words, for deciding what is a typo and what it was meant to be."""

    def __init__(self, targets: Iterable[str], english: Iterable[str]) -> None:
        self.targets = frozenset(w for w in targets if w.isalpha() and len(w) >= 3)
        self.known = self.targets | frozenset(english)
        self._choices = sorted(w for w in self.targets if len(w) >= 4)
        self._repair = functools.lru_cache(maxsize=4096)(self._closest)

    def repair(self, word: str) -> str:
        """The word meant by `word` (itself when it is known, too short, or nothing is close)."""
        if len(word) < 4 or not word.isalpha() or word in self.known or stem(word) in self.known:
            return word
        return self._repair(word)

    def _closest(self, word: str) -> str:
        close = difflib.get_close_matches(word, self._choices, n=1, cutoff=0.8)
        return close[0] if close else word

    def is_unknown(self, word: str) -> bool:
        return word.isalpha() and len(word) >= 3 and word not in self.known and stem(word) not in self.known


@functools.cache
def english_words(model_dir: str | None = None) -> frozenset[str]:
    """Whole words of MiniLM's WordPiece vocabulary (~22k common English words); empty when unavailable."""
    try:
        if model_dir is None:
            from local_models.embeddings import default_model_dir

            model_dir = str(default_model_dir())
        lines = (Path(model_dir) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (OSError, ImportError, RuntimeError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def normalise(raw: str, lexicon: Lexicon, vocabulary: Vocabulary) -> Fragment:
    """`raw` lower-cased with typos repaired and number words as digits; punctuation kept for the patterns.
    Each fragment is read as the start of a sentence, so its first word's capital says nothing. Codes such as
    product ids ("LAMPX-2", "sku-one-4") are kept as typed: their words are not repaired or turned into digits."""
    raw = compounds_as_digits(raw.translate(QUOTES))  # "twenty-six" -> "26"; single words below
    lowered = raw.lower()
    matches = list(WORD.finditer(raw))
    joins = ["", *(raw[a.end() : b.start()] for a, b in itertools.pairwise(matches))]
    codes = _code_words(matches, joins)
    pieces: list[str] = []
    tokens: list[Token] = []
    last = 0
    for index, match in enumerate(matches):
        word = match.group().lower()
        norm = word if index in codes else _read_word(word, lexicon, vocabulary)
        initial = not tokens or bool(SENTENCE_END.search(raw[: match.start()]))
        tokens.append(Token(match.group(), norm, match.group()[0].isupper() and not initial, joins[index]))
        pieces.extend([lowered[last : match.start()], norm])
        last = match.end()
    pieces.append(lowered[last:])
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return Fragment(raw=raw.strip(), text=text, tokens=tokens)


def _code_words(matches: list[re.Match[str]], joins: list[str]) -> set[int]:
    """Positions of words inside a code: runs of words joined by "-", ".", "/", ... of which one has a digit."""
    codes: set[int] = set()
    run: list[int] = []
    for index in range(len(matches) + 1):
        if index < len(matches) and run and joins[index] in ID_JOINS:
            run.append(index)
            continue
        if len(run) > 1 and any(ch.isdigit() for i in run for ch in matches[i].group()):
            codes.update(run)
        run = [index]
    return codes


def _read_word(word: str, lexicon: Lexicon, vocabulary: Vocabulary) -> str:
    if word in lexicon.number_words:
        return str(lexicon.number_words[word])
    return vocabulary.repair(word)


def strong_intents(text: str, lexicon: Lexicon) -> set[str]:
    """The tools `text` names clearly (a strong keyword cue), whatever a classifier thinks."""
    found = set()
    for intent, cues in all_cues(lexicon).items():
        matched = [c.weight for c in cues if c.pattern.search(text)]
        # one heavy keyword, not taken back by a negative cue ("Facebook ads are useless" names no ad to write)
        if intent != "out_of_scope" and matched and max(matched) >= STRONG_CUE and sum(matched) >= STRONG_CUE:
            found.add(intent)
    return found


def strong_cue(text: str, lexicon: Lexicon) -> bool:
    """True when `text` names a tool (or something refused) clearly enough to be a step of its own."""
    if strong_intents(text, lexicon):
        return True
    return any(p.search(_without_opener(text, lexicon)) for p in lexicon.actions)


def _without_opener(text: str, lexicon: Lexicon) -> str:
    previous = None
    while previous != text:
        previous, text = text, lexicon.polite_openers.sub("", text, count=1)
    return text


def strip_opener(text: str, lexicon: Lexicon) -> str:
    """The clause without "please", "can you" and the like, so imperative patterns see the verb first."""
    return _without_opener(text.strip(), lexicon)


PAIR = re.compile(r"\b(between\s+(?:[^\s,.;?!]+\s+){1,3}?)and\b", re.IGNORECASE)
KEEP = "\x00"  # marks an "and" the split must not cut at; removed from every part after the split


def split_steps(raw: str, lexicon: Lexicon, vocabulary: Vocabulary) -> list[Fragment]:
    """The request cut into steps: a fragment stands alone only when it and the step before it both carry a
    strong cue and it does not start with a modifier ("using what reviews praise" stays with its ad).
    Fragments that do not stand alone are joined back with the words that separated them."""
    # "between google and tv" names a pair, never two steps: its "and" is hidden from the split
    raw = PAIR.sub(lambda m: m.group(1) + KEEP + "and", raw)
    parts = [part.replace(KEEP, "") for part in re.split(f"({lexicon.split.pattern})", raw, flags=re.IGNORECASE)]
    pieces, separators = parts[0::2], [*parts[1::2], ""]
    steps: list[tuple[str, Fragment]] = []  # (raw text so far, its reading)
    pending = ""
    for piece, separator in zip(pieces, separators, strict=True):
        if not piece.strip():
            pending += separator
            continue
        text = pending + piece
        pending = ""
        fragment = normalise(lexicon.leading_connectors.sub("", text.strip()), lexicon, vocabulary)
        modifier = bool(lexicon.modifiers.match(fragment.text))
        detail = bool(lexicon.details.match(fragment.text))  # only a list, a count, a consequence: part of a step
        if not steps and (modifier or detail):
            pending = text + separator  # "Using positive reviews, write a Facebook ad...": joins the next piece
            continue
        if steps and (
            modifier or detail or not strong_cue(fragment.text, lexicon) or not strong_cue(steps[-1][1].text, lexicon)
        ):
            joined = steps[-1][0] + text
            steps[-1] = (joined + separator, normalise(joined.strip(), lexicon, vocabulary))
        else:
            steps.append((text + separator, fragment))
    if pending.strip():
        steps.append((pending, normalise(pending.strip(), lexicon, vocabulary)))
    return [_trimmed(fragment, lexicon) for _, fragment in steps]


def _trimmed(fragment: Fragment, lexicon: Lexicon) -> Fragment:
    """A step without the connector it started or ended with ("and", "then", a trailing comma)."""
    raw = lexicon.leading_connectors.sub("", fragment.raw.strip()).rstrip(" ,;+-\u2013\u2014")
    text = lexicon.leading_connectors.sub("", fragment.text).rstrip(" ,;+-\u2013\u2014")
    return Fragment(raw=raw, text=text, tokens=fragment.tokens)
