"""`marketing-agent eval security`: indirect prompt injection (OWASP LLM01/LLM06) and personal data (LLM02).

Each part builds its own workspace under the scratch folder and adds its tables and targets to one report:
`eval.security_injection` (planted hostile reviews x marketer tasks: attack success and utility, offline and
through the OpenAI-compatible path) and `eval.security_pii` (seeded records with canaries through every
interface; leaks per sink and detector recall).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import security_injection, security_pii

    for name, part in (("injection", security_injection.run), ("pii", security_pii.run)):
        console.rule(f"security: {name}")
        folder = scratch / name
        folder.mkdir(parents=True, exist_ok=True)
        part(report, quick, folder, console)
