"""`marketing-agent eval security`: indirect prompt injection (OWASP LLM01/LLM06) and personal data (LLM02).

Each part builds its own workspace under the scratch folder and adds its tables and targets to one report:
`eval.security_injection` (planted hostile reviews x marketer tasks: attack success and utility, offline and
through the OpenAI-compatible path) and `eval.security_pii` (seeded records with canaries through every
interface; leaks per sink and detector recall). `--part injection` or `--part pii` runs one of them alone.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport

PARTS = {"injection": "eval.security_injection", "pii": "eval.security_pii"}  # part -> module with run()


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console, parts: tuple[str, ...] = ()) -> None:
    from eval.runner import run_parts

    run_parts("security", PARTS, parts, report, quick, scratch, console)
