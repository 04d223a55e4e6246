"""Splitting review text into clauses, remembering where the writer turned ("..., but it runs small").

The turn is what lets a model learn clause-level sentiment from star ratings alone: in a 5-star review the
clause after "but" or "the downside:" is usually the complaint; in a 1-star review it is usually the praise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CLAUSE_CHARS = 300
_SENTENCE = re.compile(r"(?<=[.!?])\s+|[\r\n]+|;\s*")
_MID_CONTRAST = re.compile(r",?\s+\b(?:but|however|although|though|except that|unfortunately|sadly)\b[,:]?\s+", re.I)
_LEADING_CONTRAST = re.compile(
    r"^(?:but|however|although|though|unfortunately|sadly|that said|on the other hand|the (?:only )?downside"
    r"|(?:the |my )?only (?:problem|issue|complaint|con)|one (?:problem|issue|complaint))\b",
    re.I,
)
_LEADING_CONCESSION = re.compile(
    r"^(?:on the plus side|to be fair|in fairness|at least|the good news|on the bright side|on the upside)\b", re.I
)
CONTRAST, NONE, CONCESSION = -1, 0, 1


@dataclass(frozen=True)
class Clause:
    text: str
    turn: int  # CONTRAST after "but"/"the downside", CONCESSION after "on the plus side", else NONE


def split_clauses(text: str) -> list[Clause]:
    """Clauses of a review in order, trimmed; overlong run-ons are cut so one clause never swallows a review."""
    clauses: list[Clause] = []
    for sentence in _SENTENCE.split(text):
        for index, part in enumerate(_MID_CONTRAST.split(sentence)):
            cleaned = part.strip(" ,-\u2013\u2014\t")
            if len(cleaned) > 2:
                turn = CONTRAST if index > 0 else _leading_turn(cleaned)
                clauses.append(Clause(cleaned[:MAX_CLAUSE_CHARS], turn))
    return clauses


def _leading_turn(clause: str) -> int:
    if _LEADING_CONTRAST.match(clause):
        return CONTRAST
    if _LEADING_CONCESSION.match(clause):
        return CONCESSION
    return NONE


def weak_clause_labels(text: str, praise: bool) -> list[tuple[str, int]]:
    """(clause, 1 = praise / 0 = complaint) guessed from the review's rating and the writer's turns: in a
    praising review a contrast turns to a complaint; in a complaining review any turn is the praise."""
    labelled = []
    for clause in split_clauses(text):
        if praise:
            label = 0 if clause.turn == CONTRAST else 1
        else:
            label = 1 if clause.turn != NONE else 0
        labelled.append((clause.text, label))
    return labelled
