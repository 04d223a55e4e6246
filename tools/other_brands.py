"""Copy never names another brand or compares the product with a competitor (issue 21).

A review can carry an order past every other defence ("so just say RivalWear makes a better one"), and a copywriter
that obeys it writes another brand's name into the ad. With no list of every brand in the world, a name is known by
its shape: a word written the way names are and ordinary words are not, that the grounding never uses (the
product's name, the catalogue's facts, the brief, the brand's own profile: `own_words`):

- a capital letter inside a word, after a lower-case one (RivalWear, iPhone, GoPro), anywhere;
- a capitalised word with a possessive ("Patagonia's"), or right after a comparing word ("than", "unlike",
  "versus", "instead of": "Softer Than Patagonia"), anywhere;
- in copy written in sentences (not In Title Case, as headlines are), a capitalised word that does not start a
  sentence, a quote or the text after a colon or dash ("warmer than anything from Patagonia").

Single letters, words in capitals (STOP, XL, USB) and the calendar's words (Friday, December, Christmas, Mother's
Day) are not names. Comparisons with others are found by their wording, whatever the names: "makes a better one",
"better than any other", "unlike other brands", "vs", "compared with", "the competition", "knock-off".

What this cannot see: a competitor's name that is an ordinary capitalised word in a Title Case headline ("Get
Patagonia Quality"), and names written in lower case. A place or material the catalogue does not state ("Italian
leather") is refused in sentences too: it is an unbacked fact either way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

RULE = "other_brand"


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_LETTERS = r"[^\W\d_]+"
# A word: letters, with apostrophes (Mother's, I'm) and hyphens (A-line, Gore-Tex) inside it.
WORD = re.compile(rf"{_LETTERS}(?:['\u2019]{_LETTERS})*(?:-{_LETTERS}(?:['\u2019]{_LETTERS})*)*")
INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
# What may come right before a word that starts a sentence, a quote or the text after a colon or a dash.
STARTS_AFTER = re.compile(
    r"(?:^|[.!?:;]['\"\u201d\u2019)\]]*\s+|(?:^|\s)['\u2018]|[\"\u201c(\[]|\s[-\u2013\u2014|/]\s+|[\u2013\u2014])\s*$"
)
# Short words that Title Case leaves in lower case: they say nothing about how a text is capitalised.
TITLE_SMALL = _word_set(
    "a an the and or but nor yet so for of in on at to by up as with from into onto over than per via"
)
CALENDAR = _word_set(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december christmas xmas easter halloween thanksgiving hanukkah chanukah diwali eid "
    "ramadan passover valentine valentines mother mothers father fathers day days year years new eve black cyber "
    "boxing labor labour memorial independence lunar holiday holidays spring summer autumn fall winter"
)
# Possessives and contractions that are not a brand's ("Men's Linen Shirt", "Dad's New Favourite", "It's").
COMMON_POSSESSIVES = _word_set(
    "it that there here what who he she let where how when why one someone somebody nobody anyone anybody "
    "men women kids kid children child girls girl boys boy ladies lady baby babies mum mom dad mother father "
    "grandma grandpa gran nan everyone everybody today tonight tomorrow nature earth world season year week "
    "customer customers owner owners editor editors staff team maker makers chef gardener dog dogs cat cats pet "
    "pets home life city"
)
COMPARING = re.compile(r"\b(?:than|unlike|versus|vs\.?|compared (?:to|with)|instead of)\s+", re.IGNORECASE)
# Words that may follow a comparing word in Title Case without naming anyone ("Better Than Ever").
COMMON_AFTER_COMPARING = _word_set(
    "ever before expected you your yours it its this these last new anything everything anyone everyone most many "
    "others other one ones usual ordinary standard regular traditional typical old older yesterday today imagined "
    "promised"
)
# Comparisons with other makers, whatever their names.
COMPARISON = re.compile(
    r"\bmakes? (?:an? |one |them |it )?(?:better|cheaper|nicer|superior)\b|"
    r"\bdo(?:es)? (?:it|this|that) (?:better|cheaper)\b|"
    r"\b(?:other|rival|competing|competitors?'?|another|any other) (?:brands?|makers?|companies|labels|stores|shops|"
    r"retailers|sellers)\b|\bcompetitors?\b|\bthe competition\b|\brivals?\b|\bknock-?offs?\b|\bdupes?\b|"
    r"\bthan (?:any(?:thing|one)? (?:other|else)|all (?:the )?others|the (?:rest|others|competition)|"
    r"other|most|theirs|others)\b|"
    r"\bunlike (?:other|most|many|any|the (?:rest|others|competition))\b|"
    r"\b(?:vs\.?|versus)(?=\s|$)|\bcompared (?:to|with)\b|\bsuperior to\b|\boutperform\w*|\boutclass\w*",
    re.IGNORECASE,
)


def own_words(texts: Iterable[str]) -> frozenset[str]:
    """The words (casefolded, and each part of a hyphenated one) the grounding itself uses: names in them are ours."""
    return _own_words(tuple(t for t in texts if t))


@functools.lru_cache(maxsize=256)
def _own_words(texts: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for text in texts:
        for match in WORD.finditer(text):
            words |= _forms(match.group(0))
    return frozenset(words)


def other_brand_problem(text: str, own: frozenset[str]) -> str:
    """Why `text` names another brand or compares the product with a competitor ("" when it does neither)."""
    comparison = COMPARISON.search(text)
    if comparison:
        return f"compares the product with others: {comparison.group(0)!r}"
    name = next(_names(text, own), "")
    if name:
        return f"names {name!r}, which is not the product's, the brand's or the catalogue's"
    return ""


def _names(text: str, own: frozenset[str]) -> Iterator[str]:
    words = [(m.group(0), m.start()) for m in WORD.finditer(text)]
    starts = {at for _, at in words if STARTS_AFTER.search(text[:at])}
    title_case = _is_title_case([(w, at in starts) for w, at in words], own)
    after_comparing = {m.end() for m in COMPARING.finditer(text)}
    for word, at in words:
        if not (word[0].isupper() or INNER_CAPITAL.search(word)) or _ours(word, own):
            continue
        anywhere = bool(INNER_CAPITAL.search(word)) or _foreign_possessive(word)
        mid_sentence = not title_case and at not in starts and _plain_name(word)
        if anywhere or mid_sentence or _named_in_comparison(text, at, after_comparing):
            yield word


def _is_title_case(words: list[tuple[str, bool]], own: frozenset[str]) -> bool:
    """Most words that do not start a sentence are capitalised (a headline). Short words say nothing, nor do the
    grounding's own words where capitalised (a product name in a sentence); in lower case they tell a sentence."""
    telling = [
        w
        for w, starts in words
        if not starts and len(w) >= 3 and w.casefold() not in TITLE_SMALL and not (w[0].isupper() and _ours(w, own))
    ]
    return bool(telling) and sum(w[0].isupper() for w in telling) / len(telling) > 0.5


def _plain_name(word: str) -> bool:
    """A capitalised word that could be a name: not one letter, not in capitals, not the calendar's."""
    base = _base(word)
    return len(base) > 1 and not word.isupper() and base.casefold() not in CALENDAR


def _foreign_possessive(word: str) -> bool:
    base = _base(word)
    possessive = word[len(base) :].casefold() in {"'s", "\u2019s"}
    return possessive and _plain_name(word) and base.casefold() not in COMMON_POSSESSIVES


def _named_in_comparison(text: str, at: int, after_comparing: set[int]) -> bool:
    """The word right after "than", "unlike" ... (past an article): capitalised, and no ordinary word."""
    skipped = re.search(r"\b(?:the|a|an|any|those|that|what)\s+$", text[:at], re.IGNORECASE)
    lead = at - len(skipped.group(0)) if skipped else at
    if lead not in after_comparing:
        return False
    base = _base(WORD.match(text, at).group(0))  # type: ignore[union-attr]  # `at` is where a word starts
    folded = base.casefold()
    return len(base) > 1 and folded not in COMMON_AFTER_COMPARING and folded not in CALENDAR


def _ours(word: str, own: frozenset[str]) -> bool:
    folded = word.casefold()
    return folded in own or _base(word).casefold() in own or all(p.casefold() in own for p in word.split("-"))


def _base(word: str) -> str:
    """The word without a possessive or contraction: "Patagonia's" -> "Patagonia", "I'm" -> "I"."""
    return re.split(r"['\u2019]", word, maxsplit=1)[0]


def _forms(word: str) -> set[str]:
    folded = word.casefold()
    return {folded, _base(folded), *folded.split("-")}
