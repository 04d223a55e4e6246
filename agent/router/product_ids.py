"""Product ids as typed in a request: an id's words and the joins between them ("SKU-4471-BL" is "sku", "4471",
"bl" joined by "-"), matched word by word against a request's tokens, and runs of words typed as one code that
may be an id the catalogue lacks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from agent.router.text import ID_JOINS, WORD, Token


@dataclass(frozen=True)
class IdForm:
    """A product id as words: matched against the words of a request."""

    product_id: str
    parts: tuple[str, ...]  # its words, lower case ("sku", "4471", "bl")
    joins: tuple[str, ...]  # the text between them in the id ("-", "-")
    exact: bool  # a one-word alphabetic id ("CHAIR") is only that id when typed in the same case

    @classmethod
    def of(cls, product_id: str) -> IdForm | None:
        words = list(WORD.finditer(product_id))
        if not words:
            return None
        joins = tuple(product_id[a.end() : b.start()] for a, b in itertools.pairwise(words))
        parts = tuple(w.group().lower() for w in words)
        return cls(product_id, parts, joins, exact=len(parts) == 1 and parts[0].isalpha())

    @property
    def shape(self) -> str:
        return code_shape(self.parts)

    def at(self, tokens: Sequence[Token], start: int) -> bool:
        """True when the words from `start` spell this id, typed as one code (not part of a longer one)."""
        end = start + len(self.parts)
        if end > len(tokens) or not code_edge(tokens, start) or not code_edge(tokens, end):
            return False
        if self.exact and tokens[start].raw.removesuffix("'s") != self.product_id.strip():
            return False
        for k, part in enumerate(self.parts):
            token = tokens[start + k]
            if part not in (token.raw.lower(), token.raw.lower().removesuffix("'s")):
                return False
            if k and not (token.glued or token.joined == self.joins[k - 1]):
                return False
        return True


def code_edge(tokens: Sequence[Token], index: int) -> bool:
    """No code runs across `index`: it is an end, or the word there is not glued to the one before (a "/" between
    two ids lists them: "1078/1079")."""
    return index >= len(tokens) or not tokens[index].glued or tokens[index].joined == "/"


def code_shape(parts: Sequence[str]) -> str:
    """A code's shape: "SKU-4471-BL" -> "A-9-A" (letters, digits or both, per word)."""
    return "-".join("A" if p.isalpha() else "9" if p.isdigit() else "X" for p in parts)


def code_runs(tokens: Sequence[Token]) -> list[list[int]]:
    """Runs of two or more words typed as one code, with a digit and a letter in them ("SKU-9999-XX")."""
    runs: list[list[int]] = []
    for index, token in enumerate(tokens):
        if token.glued and runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return [
        run
        for run in runs
        if len(run) > 1
        and any(c.isdigit() for i in run for c in tokens[i].raw)
        and any(c.isalpha() for i in run for c in tokens[i].raw)
    ]


def continues_as_code(text: str, end: int) -> bool:
    return len(text) > end + 1 and text[end] in ID_JOINS and text[end + 1].isalnum()
