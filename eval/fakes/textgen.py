"""`ScriptedGenerator`: the one stand-in `TextGenerator` that tests and eval suites use.

It answers in one of two ways, and records every prompt it is given either way (what reached "the model"):
- from a script: a fixed text, or a function of the prompt and options (`Reply`) that returns one text (given
  back once per requested sample) or the samples themselves;
- by passing each prompt on to a real generator (`ScriptedGenerator.recording(inner)`), optionally answering a
  repeated prompt from memory (`memo=True`: a seeded local model would give the same text anyway).

    canned = ScriptedGenerator("canned", model="canned-local")
    parrot = ScriptedGenerator(lambda messages, options: messages[-1].content, model="parrot-1")
    spy = ScriptedGenerator.recording(local_generator)
    ...
    prompts = spy.take_prompts()      # every prompt since the last take, oldest first
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence

from local_models.textgen.base import ChatMessage, Generation, GenerationOptions, TextGenerator, TextStream

Prompt = list[ChatMessage]
# A scripted answer: one text (repeated for each of `options.n` samples) or the list of samples itself.
Reply = Callable[[Sequence[ChatMessage], GenerationOptions], str | list[str]]
_WORD_START = re.compile(r"(?<=\s)(?=\S)")  # stream pieces: each word with the space after it


class ScriptedGenerator:
    """A thread-safe `TextGenerator` answering from a script (or a real generator) and recording its prompts.

    Scripted answers come back as a `Generation` with backend `name`, finish reason "stop" and no token
    counts; `stream()` yields the same text a word at a time. Passed-on answers are the inner generator's own.
    """

    def __init__(self, reply: str | Reply, *, name: str = "local", model: str = "scripted") -> None:
        self._reply: Reply = (lambda _messages, _options: reply) if isinstance(reply, str) else reply
        self._inner: TextGenerator | None = None
        self._name, self._model = name, model
        self.memo = False
        self.prompts: list[Prompt] = []
        self._cache: dict[tuple[tuple[ChatMessage, ...], GenerationOptions], Generation] = {}
        self._lock = threading.Lock()

    @classmethod
    def recording(cls, inner: TextGenerator, *, memo: bool = False) -> ScriptedGenerator:
        """Pass every prompt on to `inner` (its name, model and answers); with `memo`, answer a prompt seen
        before (same messages, same options) from memory instead of asking again."""
        generator = cls("", name=inner.name, model=inner.model)
        generator._inner, generator.memo = inner, memo
        return generator

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> str:
        return self._model

    def generate(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Generation:
        options = options or GenerationOptions()
        self._record(messages)
        if self._inner is None:
            texts = self._texts(messages, options)
            return Generation(texts=texts, backend=self.name, model=self.model, finish_reasons=["stop"] * len(texts))
        key = (tuple(messages), options)
        with self._lock:
            cached = self._cache.get(key) if self.memo else None
        if cached is not None:
            return cached
        generation = self._inner.generate(messages, options)
        if self.memo:
            with self._lock:
                self._cache[key] = generation
        return generation

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> TextStream:
        """The text of one sample in pieces: the inner generator's own stream when passing on without memory,
        else the generated text a word at a time. `finish_reason` (and, passed on, the warnings and token
        counts) are set once the pieces are exhausted."""
        if self._inner is None or self.memo:
            text = self.generate(messages, options).text

            def words(stream: TextStream) -> Iterator[str]:
                yield from (piece for piece in _WORD_START.split(text) if piece)
                stream.finish_reason = "stop"

            return TextStream(words)
        self._record(messages)
        inner = self._inner.stream(messages, options)

        def relayed(stream: TextStream) -> Iterator[str]:
            yield from inner
            if isinstance(inner, TextStream):
                stream.finish_reason, stream.warnings = inner.finish_reason, list(inner.warnings)
                stream.prompt_tokens, stream.completion_tokens = inner.prompt_tokens, inner.completion_tokens
            else:
                stream.finish_reason = "stop"

        return TextStream(relayed)

    def take_prompts(self) -> list[Prompt]:
        """The prompts recorded since the last call (oldest first), forgetting them."""
        with self._lock:
            prompts, self.prompts = self.prompts, []
        return prompts

    def _record(self, messages: Sequence[ChatMessage]) -> None:
        with self._lock:
            self.prompts.append(list(messages))

    def _texts(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> list[str]:
        answer = self._reply(messages, options)
        return [answer] * options.n if isinstance(answer, str) else list(answer)


def prompt_text(prompt: Sequence[ChatMessage]) -> str:
    """A recorded prompt as one text: its messages' contents, a line apart."""
    return "\n".join(message.content for message in prompt)
