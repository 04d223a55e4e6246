"""Running one request under a watchdog, and how it ended: answered, fell back, failed typed, or not (an unhandled
error, an empty answer, a hang)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import MarketingAgentError
from eval.report import shortened

BUDGET_S = 60.0  # the agent's request budget (agent.executor.MAX_SECONDS)
HANG_GRACE_S = 15.0  # past the budget, a request that has not returned is a hang
CLIENT_TIMEOUT_S = 2.0  # the suite's provider timeout (the shipped default is 30 s; one row uses it)
OUTCOMES = ("answered", "fallback", "typed error", "unhandled", "empty", "hang")
PASSING = frozenset({"answered", "fallback", "typed error"})


@dataclass
class Attempt:
    """How one request ended."""

    outcome: str
    seconds: float
    message: str = ""


def watched(work: Callable[[], Attempt], budget: float = BUDGET_S, grace: float = HANG_GRACE_S) -> Attempt:
    """Run `work` in a thread; one that is still running `grace` seconds past `budget` is a hang."""
    box: dict[str, Any] = {}
    started = time.perf_counter()

    def target() -> None:
        try:
            box["attempt"] = work()
        except MarketingAgentError as exc:
            box["attempt"] = Attempt("typed error", 0.0, f"{type(exc).__name__}: {first_line(str(exc))}")
        except BaseException as exc:  # the finding this suite exists for
            box["attempt"] = Attempt("unhandled", 0.0, f"{type(exc).__name__}: {first_line(str(exc))}")

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(budget + grace)
    seconds = time.perf_counter() - started
    if thread.is_alive():
        return Attempt("hang", seconds, f"no answer after {seconds:.0f} s")
    attempt: Attempt = box["attempt"]
    attempt.seconds = seconds
    return attempt


def first_line(text: str, limit: int = 160) -> str:
    return shortened(text.strip().splitlines()[0] if text.strip() else "", limit)


@dataclass
class Cell:
    """The attempts of one fault x consumer, and the request budget they must end within."""

    fault: str
    consumer: str
    budget: float = BUDGET_S
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for a in self.attempts if a.outcome in PASSING and a.seconds <= self.budget)

    def row(self) -> list[str | int | float | None]:
        counts = Counter(a.outcome for a in self.attempts)
        worst = max((a.seconds for a in self.attempts), default=None)
        example = next((a.message for a in self.attempts if a.outcome not in ("answered",) and a.message), "")
        return [
            self.fault,
            self.consumer,
            len(self.attempts),
            *(counts.get(o, 0) for o in OUTCOMES),
            worst,
            self.passed,
            example,
        ]
