"""The PII suite (`marketing-agent eval security`): OWASP LLM02, sensitive information disclosure, measured.

Seeded CRM/review records (eval/pii_cases.py: emails, phones, cards, street addresses, names, canary tokens) flow
through everything a store's data can reach: review ingest (CLI file, REST rows, REST upload), search and
insight, segments (a transactions file with personal columns), ad copy (grounded in reviews holding personal
data, written by a model that tries to echo it), the agent (offline router, and the LLM router against a
recording OpenAI-compatible endpoint on 127.0.0.1) and the REST API (`/v1/ask`, `/v1/ask/stream`,
`/v1/tools/*`, `/v1/reviews`). Then every sink is scanned for the seeded values.

Policy (what may appear where):
- Personal data (emails, phones, cards, street addresses, names from CRM files) appears in no sink at all:
  review text is redacted when it is ingested (the store is for marketing analysis, not the system of record:
  the CRM keeps the originals), personal columns of transaction files are never read, and prompts, logs, the
  audit trail, memory and outputs carry tags such as <EMAIL_ADDRESS> instead.
- Review canaries (`CANARY-R...`, written next to personal data in a review) stand for review text. Review text
  may be stored (chromadb) and shown to the marketer who owns it (snippets, quotes, answers, API responses), but
  never reaches a remote model, logs, the audit trail, session memory, server state or ad copy.
- Customer-id canaries (`CANARY-C...`, the CRM's own pseudonymous keys) may come back wherever customers are
  listed (segment results, answers, API responses), be kept in the workspace (the customer model, memory of
  an answer, the audit trail's call arguments), but never reach a remote model, logs or ad copy.

Detector quality is measured apart from the flows: recall per kind on the seeded records against their ground
truth, and precision with false positives on clean marketing text, for Presidio's defaults and for ours.

Modules: `detector` (1), `flows` (2) with their `stand_ins` (the leaky scripted model, the recording endpoint,
log capture), `sinks` (3), `report` (4) and `running`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """The part's entry (imported on first use)."""
    from eval.suites.security.pii.running import run_part

    run_part(report, quick, scratch, console)
