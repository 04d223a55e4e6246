"""What both halves of the part run against: a demo workspace, the local model (or its instant stand-in), the sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.demo import DemoSize
from eval.fakes.textgen import ScriptedGenerator
from eval.modes import ByMode
from eval.suites.reliability.faults.watchdog import BUDGET_S


@dataclass(frozen=True)
class Sizes:
    """How much each run does. --quick keeps every fault kind and every consumption case but asks less, gives the
    agent a 20 s budget (so hung providers cost 15 s, not 45 s) and falls back to an instant stand-in for the
    local model (converting SmolLM2 alone takes ~25 s)."""

    agent_requests: int
    generator_requests: int
    ad_copy: bool
    default_timeouts: bool
    budget_s: float
    real_local_model: bool
    follow_ups: int
    demo: DemoSize


SIZES = ByMode(
    quick=Sizes(1, 1, False, False, 20.0, False, 20, demo=DemoSize(300, 120, 5, 5, 5)),
    full=Sizes(4, 3, True, True, BUDGET_S, True, 100, demo=DemoSize(1500, 400, 10, 10, 10)),
)


@dataclass
class Setup:
    """What both parts run against: a demo workspace, the local model (or its stand-in), the sizes."""

    workspace: Path
    local: Any
    sizes: Sizes

    def budget(self, **changes: Any) -> Any:
        from agent.executor import Budget

        return Budget(**{"seconds": self.sizes.budget_s, **changes})


def instant_local() -> ScriptedGenerator:
    """A stand-in for the local model in --quick runs and tests: answers at once, like a loaded SmolLM2 would."""
    return ScriptedGenerator("Breathable linen for warm days.", model="instant-local")


def local_fallback(scratch: Path, sizes: Sizes, console: Console) -> Any:
    """The local model the OpenAI backend falls back to: SmolLM2, converted once into the scratch folder (full
    runs), or the instant stand-in (--quick)."""
    if not sizes.real_local_model:
        return instant_local()
    from local_models.textgen.local import LocalGenerator

    with console.status("Loading the local model"):
        generator = LocalGenerator(workspace=scratch / "textgen")
        generator.load()
    return generator
