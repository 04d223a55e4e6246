"""Reliability: bad input (`marketing-agent eval reliability`, issue 8 part 5).

Malformed files and requests, each through every interface it can reach, on one small demo workspace:

- the CLI (`marketing-agent ingest-reviews FILE`, `train-forecaster FILE`, `segment FILE`, run as
  `python -m agent.cli ...` subprocesses): a non-zero exit, a clear message on stderr, never a traceback;
- the Python tools (`ingest_reviews`, `train_forecaster`, `train_segmenter`): a `MarketingAgentError` subclass
  whose message names the file (cases that could exhaust memory run in a subprocess, as the CLI cases do, and
  report their peak memory);
- the REST API (`create_app(ws, keys=False)` served on 127.0.0.1, with the upload limit lowered to 5 MB so an
  oversized upload stays cheap): problem+json 4xx, never a 500; an upload is a job, which must end `failed` with
  a clear error that names the uploaded file (not a server path).

Files: wrong columns and types, bad encodings (latin-1, UTF-16, invalid bytes), 50 MB single lines, empty and
header-only files, zip bombs (.gz expanding to 1-2 GB: the reader must stop early, in bounded memory), deeply
nested JSON, NaN/inf, negative quantities, dates in the future, duplicated ids, binary files renamed .csv,
symlinks, a path through `../`, a directory. Requests: oversized and chunked bodies, nested JSON bodies, path
traversal in upload file names and review ids, huge arguments, NaN in JSON.

After each case every file in the workspace is hashed and compared with before. Excluded, because recording a
refused request is their job: `audit.jsonl`, `sessions.sqlite*` (the agent's memory), `server.sqlite*` (REST jobs
and idempotency keys) and `locks/` (lock files); `uploads/` must be empty afterwards (checked separately).

Modules: `cases` (the files), `outcomes` (how a case ended; the workspace fingerprint), `processes` (the Python
tools and the CLI in child processes), `rest` (the REST API and its requests) and `running`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """The part's entry (imported on first use, so reading the cases alone stays cheap)."""
    from eval.suites.reliability.input.running import run_part

    run_part(report, quick, scratch, console)
