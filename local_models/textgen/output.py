"""Shaping what a model wrote into what the caller asked for: text cut at stop strings, one JSON object.

Shared by every backend: the OpenAI API takes at most 4 stop strings and a compatible server may ignore them,
and small local models asked for JSON wrap it in prose or code fences, use trailing commas, or run out of
tokens before the closing brace. Callers want one parseable object, so this scans for the first balanced
`{...}` that parses (after light repairs), and as a last resort closes an object that was cut off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from local_models.textgen.base import ChatMessage, Generation, TextStream

# Added to the system prompt when a caller asks for JSON (the OpenAI API also requires the word "JSON" there).
JSON_INSTRUCTION = "Answer with one JSON object only: no prose, no code fences."

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_CLOSERS = {"{": "}", "[": "]"}
_VALUE_ENDS = set('"}]0123456789el')  # last characters of a string, object, array, number, true/false/null


def with_json_instruction(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The messages with the JSON instruction appended to the system prompt (added when there is none)."""
    if messages and messages[0].role == "system":
        return [ChatMessage("system", f"{messages[0].content}\n{JSON_INSTRUCTION}"), *messages[1:]]
    return [ChatMessage("system", JSON_INSTRUCTION), *messages]


def first_stop(text: str, stops: Sequence[str]) -> int | None:
    """Index where the earliest stop string begins in `text`, or None."""
    found = [i for i in (text.find(s) for s in stops if s) if i != -1]
    return min(found) if found else None


def pieces_before_stop(pieces: Iterable[str], stops: Sequence[str], stream: TextStream) -> Iterator[str]:
    """Pass streamed pieces through, holding back any tail that may begin a stop string, and end at one
    (setting `stream.finish_reason` to "stop")."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        cut = first_stop(buffer, stops)
        if cut is not None:
            if cut:
                yield buffer[:cut]
            stream.finish_reason = "stop"
            return
        held = _stop_prefix_length(buffer, stops)
        if len(buffer) > held:
            yield buffer[: len(buffer) - held]
            buffer = buffer[len(buffer) - held :]
    if buffer:
        yield buffer


def _stop_prefix_length(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that begins some stop string."""
    best = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), best, -1):
            if text.endswith(stop[:size]):
                best = size
                break
    return best


def keep_json_objects(generation: Generation, source: str) -> None:
    """Replace each text by the JSON object in it; warn when a sample holds none (the caller validates)."""
    for index, text in enumerate(generation.texts):
        extracted = extract_json_object(text)
        if extracted is None:
            generation.warnings.append(f"Sample {index + 1} from {source} held no JSON object.")
        else:
            generation.texts[index] = extracted


def extract_json_object(text: str) -> str | None:
    """The first JSON object in `text`, re-serialised, or None when there is none to be had.

    First choice: the first complete `{...}` that parses (after light repairs). Failing that, the longest
    beginning of the first object that parses once closed: what is left of an object cut off by max_tokens,
    or broken by an unescaped quote."""
    start = text.find("{")
    while start != -1:
        end = _balanced_end(text, start)
        if end is None:  # runs to the end of the text: no later "{" can be complete either
            break
        parsed = _parse_object(text[start : end + 1])
        if parsed is not None:
            return parsed
        start = text.find("{", start + 1)
    first = text.find("{")
    return _salvage(text[first:]) if first != -1 else None


def _salvage(fragment: str, attempts: int = 64) -> str | None:
    """Close successively shorter beginnings of `fragment`, cut just after a value could have ended."""
    cuts = [len(fragment), *(i + 1 for i, char in enumerate(fragment) if char in _VALUE_ENDS)]
    for cut in sorted(set(cuts), reverse=True)[:attempts]:
        parsed = _parse_object(_close_truncated(fragment[:cut]))
        if parsed is not None:
            return parsed
    return None


def _parse_object(candidate: str) -> str | None:
    for attempt in (candidate, _repair(candidate)):
        try:
            value: Any = json.loads(attempt)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
    return None


def _repair(candidate: str) -> str:
    """Fix what small models get wrong most often: typographic quotes and trailing commas."""
    return _TRAILING_COMMA.sub(r"\1", candidate.translate(_SMART_QUOTES))


def _balanced_end(text: str, start: int) -> int | None:
    """Index of the brace that closes the one at `start` (strings and escapes respected), or None."""
    depth = 0
    for index, char in _JsonScan(text, start):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index
    return None


def _close_truncated(fragment: str) -> str:
    """Close an object that ran out of tokens: end the open string, drop a dangling key or comma, add closers."""
    stack: list[str] = []
    scan = _JsonScan(fragment)
    for _, char in scan:
        if char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in "}]" and stack:
            stack.pop()
    body = fragment + ('"' if scan.in_string else "")
    body = re.sub(r'(,\s*"[^"]*"\s*:?\s*|,\s*|:\s*)$', "", body.rstrip())
    return body + "".join(reversed(stack))


class _JsonScan:
    """(index, character) of each character of `text` from `start` outside JSON strings (the quotes themselves
    excluded); `in_string` tells, once done, whether the text ended inside a string."""

    def __init__(self, text: str, start: int = 0) -> None:
        self.text, self.start = text, start
        self.in_string = False

    def __iter__(self) -> Iterator[tuple[int, str]]:
        escaped = False
        for index in range(self.start, len(self.text)):
            char = self.text[index]
            if self.in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    self.in_string = False
            elif char == '"':
                self.in_string = True
            else:
                yield index, char
