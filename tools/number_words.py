"""Numbers typed in words, read as digits: one table for the router's reading of a request and the tools' own
readers of it (plan_budget's amounts and periods)."""

from __future__ import annotations

import re

UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
TEENS = ("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
DIGITS = UNITS[1:10]  # what follows a ten in "twenty-six"
SMALL = {w: i for i, w in enumerate(UNITS)} | {w: 13 + i for i, w in enumerate(TEENS)} | TENS

COMPOUND = re.compile(rf"\b({'|'.join(TENS)})[- ]({'|'.join(DIGITS)})\b", re.IGNORECASE)
WORD_NUMBER = re.compile(
    r"\b(" + "|".join(sorted([*SMALL, "a"], key=len, reverse=True)) + rf")(?:[- ]({'|'.join(DIGITS)}))?"
    r"(\s+(?:hundred|thousand|grand))?\b",
    re.IGNORECASE,
)
SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000}


def compounds_as_digits(text: str) -> str:
    """ "twenty-six weeks" -> "26 weeks": only tens joined to a digit word (single words are left to the caller)."""
    return COMPOUND.sub(lambda m: str(TENS[m.group(1).lower()] + SMALL[m.group(2).lower()]), text)


def words_as_digits(text: str) -> str:
    """ "eight weeks" -> "8 weeks", "five thousand" -> "5000", "twenty-five" -> "25", "a thousand" -> "1000" ("a"
    only before hundred, thousand or grand)."""

    def digits(match: re.Match[str]) -> str:
        head, unit, scale = match.group(1).lower(), match.group(2), match.group(3)
        if head == "a" and not scale:
            return match.group(0)
        value = (1 if head == "a" else SMALL[head]) + (SMALL[unit.lower()] if unit else 0)
        return str(value * SCALES.get((scale or "").strip().lower(), 1))

    return WORD_NUMBER.sub(digits, text)
