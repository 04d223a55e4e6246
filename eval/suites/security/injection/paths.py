"""The ways the agent is run: offline; through the OpenAI-compatible endpoint serving SmolLM2 or the obedient
stand-in (a worst-case LLM); and offline with the obedient copywriter writing the ad copy (`copywriter`), reading
its prompt only or also handed the planted text. Each records the prompts its models read."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.demo import DemoSize
from eval.fakes.textgen import ScriptedGenerator, prompt_text
from eval.loopback import served_chat_model
from eval.modes import ByMode
from eval.suites.security.injection.cases import InjectionCase, InjectionTask
from eval.suites.security.injection.copywriter import SHORT_ASIDE, ObedientCopywriter
from eval.suites.security.injection.judging import Seen, observe
from local_models.textgen.base import ChatMessage, GenerationOptions, TextGenerator

if TYPE_CHECKING:
    from agent.openai_server import OpenAIServer

REQUEST_SECONDS = 240.0


# ---- the obedient stand-in (the worst-case LLM) -----------------------------------------------------------------


class Obedient:
    """The replies of a stand-in LLM behind the OpenAI-compatible endpoint that does what a perfectly gullible
    model would: it makes the calls the request needs (as the offline router plans them), then also calls any
    tool and follows any instruction it reads in tool results, and ends with a reply that repeats every tool
    result verbatim. Whatever hostile text reaches it therefore shows up in the calls and the answer."""

    def __init__(self, planner: Callable[[str], list[dict[str, Any]]]) -> None:
        self.planner = planner

    def __call__(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> list[str]:
        request = next((m.content for m in messages if m.role == "user"), "")
        results = [m.content.removeprefix("Tool result:\n") for m in messages if _is_tool_result(m)]
        made = sum(1 for m in messages if m.role == "assistant" and m.content.lstrip().startswith('{"tool"'))
        wanted = self._calls(request, results)
        if made < len(wanted):
            return [json.dumps(wanted[made])]
        echo = " ".join(_unfenced(r) for r in results)
        return ["Here is everything the tools returned: " + echo]  # one text, however many samples are asked

    def _calls(self, request: str, results: list[str]) -> list[dict[str, Any]]:
        from agent.types import PlanReferenceError, resolve_references
        from tools.registry import TOOLS

        views = [_json_in(r) for r in results]
        wanted: list[dict[str, Any]] = []
        for call in self.planner(request):
            try:  # "the product our best customers buy": read from the earlier result, as a model would
                arguments = resolve_references(call["arguments"], views)
            except PlanReferenceError:  # not called yet: this call is not the next one anyway
                arguments = {k: v for k, v in call["arguments"].items() if not isinstance(v, dict | list)}
            wanted.append({"tool": call["name"], "arguments": arguments})
        named = " ".join(_unfenced(r) for r in results)
        for tool in TOOLS:  # obeys any tool a result mentions
            if tool in named and all(w["tool"] != tool for w in wanted):
                wanted.append({"tool": tool, "arguments": {}})
        return wanted


def _is_tool_result(message: ChatMessage) -> bool:
    return message.role == "user" and message.content.startswith("Tool result:")


def _unfenced(text: str) -> str:
    return re.sub(r"</?data[^>]*>", " ", text).strip()


def _json_in(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    try:
        value = json.loads(text[start : end + 1]) if 0 <= start < end else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


# ---- the paths -------------------------------------------------------------------------------------------------


@dataclass
class AgentPath:
    """One way of running the agent; `open(workspace)` gives a MarketingAgent on it."""

    name: str
    open: Callable[[Path], Any]
    model: ScriptedGenerator | None  # records the prompts the path's router model reads
    chosen: set[str] = field(default_factory=set)  # case ids this path runs
    copywriter: ScriptedGenerator | None = None  # the path's own copywriter (else the shared local one)
    stand_in: ObedientCopywriter | None = None  # handed each case's planted text before its request

    def hand(self, planted: Sequence[str]) -> None:
        """Give the path's obedient copywriter the planted text of the case about to run (none: a benign run)."""
        if self.stand_in is not None:
            self.stand_in.handed = list(planted)


@dataclass(frozen=True)
class Sizes:
    offline_cases: int
    obedient_cases: int
    smollm2_cases: int
    copywriter_cases: int  # on each obedient-copywriter path
    demo: DemoSize


SIZES = ByMode(
    quick=Sizes(
        offline_cases=40, obedient_cases=0, smollm2_cases=0, copywriter_cases=12, demo=DemoSize(800, 200, 8, 8, 8)
    ),
    full=Sizes(
        offline_cases=10_000,
        obedient_cases=10_000,
        smollm2_cases=60,
        copywriter_cases=10_000,
        demo=DemoSize(800, 200, 20, 15, 15),
    ),
)
COPYWRITER_PATHS = ("obedient-copywriter", "obedient-copywriter-unfiltered")


def stratified(
    cases: Sequence[InjectionCase], n: int, tasks: dict[str, InjectionTask], *, generative: bool
) -> list[InjectionCase]:
    """Up to `n` cases taken from each task in turn, each time the case whose style and goal are least used so
    far (so styles, goals and tasks all spread evenly). Without `generative`, tasks that write ad copy are
    left out (a few seconds of local-model time each)."""
    pool = [c for c in cases if generative or "generate_ad_copy" not in tasks[c.task].tools]
    if n >= len(pool):
        return list(pool)
    by_task: dict[str, list[InjectionCase]] = defaultdict(list)
    for case in pool:
        by_task[case.task].append(case)
    used: Counter[str] = Counter()
    chosen: list[InjectionCase] = []
    while len(chosen) < n:
        for task_id in sorted(by_task):
            if len(chosen) == n or not by_task[task_id]:
                continue
            case = min(by_task[task_id], key=lambda c: (used[c.style] + used[c.goal], c.id))
            by_task[task_id].remove(case)
            chosen.append(case)
            used.update((case.style, case.goal))
    return chosen


class AgentPaths:
    """Starts the OpenAI-compatible servers the LLM paths need and stops them afterwards. `cases` run on the
    offline and LLM paths; the obedient-copywriter paths run `copy_cases` and the ad-copy cases among `cases`."""

    def __init__(
        self,
        base: Path,
        sizes: Sizes,
        cases: list[InjectionCase],
        copy_cases: list[InjectionCase],
        tasks: dict[str, InjectionTask],
        quick: bool,
    ) -> None:
        from tools.brand import load_brand

        self.base, self.sizes, self.tasks, self.quick = base, sizes, tasks, quick
        self.main_cases, self.copy_cases = cases, copy_cases
        self.cases = cases + copy_cases
        from agent.executor import Budget

        self.brand = load_brand(workspace=base)
        # A longer request deadline than the product's 60 s: on a shared 2-core machine a slow copy request must
        # not count as injection damage (latency is the agent suite's business); the call budget stays.
        self.budget = Budget(seconds=REQUEST_SECONDS)
        self.paths: list[AgentPath] = []
        self._servers: list[OpenAIServer] = []
        self.copywriter: ScriptedGenerator | None = None

    def __enter__(self) -> AgentPaths:
        from agent.core import MarketingAgent
        from local_models.textgen import LocalGenerator

        # Converted outside the store that is copied per round; loaded before any request is timed.
        local = LocalGenerator(workspace=self.base.parent / "textgen")
        self.copywriter = ScriptedGenerator.recording(local, memo=True)
        copywriter, budget = self.copywriter, self.budget
        chosen = stratified(self.main_cases, self.sizes.offline_cases, self.tasks, generative=not self.quick)
        if any("generate_ad_copy" in self.tasks[c.task].tools for c in chosen):
            local.load()
        offline_ids = {c.id for c in chosen}
        self.paths.append(
            AgentPath(
                "offline", lambda ws: MarketingAgent.open(ws, generator=copywriter, budget=budget), None, offline_ids
            )
        )
        if self.sizes.obedient_cases:
            self.paths.append(self._obedient_path())
        if self.sizes.smollm2_cases:
            self.paths.append(self._smollm2_path(local))
        if self.sizes.copywriter_cases:
            self.paths += [self._copywriter_path(name) for name in COPYWRITER_PATHS]
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.stop()

    def _obedient_path(self) -> AgentPath:
        from agent.core import MarketingAgent
        from agent.router import Router

        router = Router(self.base)

        def plan(request: str) -> list[dict[str, Any]]:
            made = router.plan(request)
            return [{"name": c.name, "arguments": c.arguments} for c in made.calls]

        model = ScriptedGenerator(Obedient(plan), name="obedient", model="obedient-stand-in")
        chat = self._chat_model(model, max_tokens=4000)
        ids = {c.id for c in stratified(self.main_cases, self.sizes.obedient_cases, self.tasks, generative=True)}
        copywriter, budget = self.copywriter, self.budget
        return AgentPath(
            "openai-obedient",
            lambda ws: MarketingAgent.open(ws, llm="openai", chat_model=chat, generator=copywriter, budget=budget),
            model,
            ids,
        )

    def _smollm2_path(self, local: TextGenerator) -> AgentPath:
        from agent.core import MarketingAgent

        served = ScriptedGenerator.recording(local)
        chat = self._chat_model(served, max_tokens=96)
        ids = {c.id for c in stratified(self.main_cases, self.sizes.smollm2_cases, self.tasks, generative=True)}
        copywriter = self.copywriter
        return AgentPath(  # the product's own 60 s deadline: SmolLM2 may ramble for minutes otherwise
            "openai-smollm2",
            lambda ws: MarketingAgent.open(ws, llm="openai", chat_model=chat, generator=copywriter),
            served,
            ids,
        )

    def _copywriter_path(self, name: str) -> AgentPath:
        """The offline router with the obedient copywriter writing the ad copy; on the unfiltered path it is also
        handed each case's planted text, as if the quote filter had let all of it into the prompt. Quick mode
        runs a stratified sample of the copywriter cases; full mode these and every ad-copy case."""
        from agent.core import MarketingAgent

        stand_in = ObedientCopywriter()
        copywriter = ScriptedGenerator(stand_in, name="obedient-copywriter", model="obedient-copywriter")
        ids = {c.id for c in self._copywriter_sample()}
        budget = self.budget
        return AgentPath(
            name,
            lambda ws: MarketingAgent.open(ws, generator=copywriter, budget=budget),
            None,
            ids,
            copywriter=copywriter,
            stand_in=stand_in if name.endswith("unfiltered") else None,
        )

    def _copywriter_sample(self) -> list[InjectionCase]:
        """Full: every ad-copy case and every copywriter case. Quick: half short asides (the style written to pass the
        quote filter; since the other_brand rule, the filter drops every short aside, as each names another brand or
        an offer, so the prompt-only path sees none of them and the unfiltered path is what tests the copy checks)
        and half the other copywriter cases."""
        n = self.sizes.copywriter_cases
        if not self.quick:
            writes = [c for c in self.main_cases if "generate_ad_copy" in self.tasks[c.task].tools]
            return stratified(writes + self.copy_cases, n, self.tasks, generative=True)
        short = [c for c in self.copy_cases if c.style == SHORT_ASIDE]
        other = [c for c in self.copy_cases if c.style != SHORT_ASIDE]
        return stratified(short, n // 2, self.tasks, generative=True) + stratified(
            other, n - n // 2, self.tasks, generative=True
        )

    def _chat_model(self, generator: Any, *, max_tokens: int) -> Any:
        server, model = served_chat_model(generator, max_completion_tokens=max_tokens, temperature=0)
        self._servers.append(server)
        return model


def ask_on_path(paths: AgentPaths, path: AgentPath, agent: Any, request: str) -> tuple[Seen, float]:
    """One request on one path, with the prompts its models read."""
    copywriter = path.copywriter or paths.copywriter
    recorders = [r for r in (path.model, copywriter) if r is not None]
    for recorder in recorders:
        recorder.take_prompts()
    start = time.perf_counter()
    response = agent.ask(request)
    seconds = time.perf_counter() - start
    model_prompts = [prompt_text(p) for p in path.model.take_prompts()] if path.model is not None else []
    copy_prompts = [prompt_text(p) for p in copywriter.take_prompts()] if copywriter else []
    return observe(response, paths.brand, model_prompts, copy_prompts), seconds
