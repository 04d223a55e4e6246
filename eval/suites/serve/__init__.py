"""The serve suite (`marketing-agent eval serve`): a bounded load test of the REST API on 127.0.0.1.

1. A demo workspace is built under the scratch folder, an API key is created, and `marketing-agent serve` is
   started as a separate process (one uvicorn worker, as a user would run it) with the per-key rate limit off
   (`MARKETING_AGENT_RATE_LIMIT_PER_MINUTE=0`) and `HF_HUB_OFFLINE=1`. It is always stopped at the end.
2. A cold burst: the first requests arrive at once, before anything is loaded (a CRM's workers reconnecting
   after a restart). Then warm-up requests, one at a time (the first search loads MiniLM and opens chromadb,
   the first forecast loads the forecaster), and a baseline in the same run: one client, sequential (measured
   again after the load: the faster of the two is the reference, their ratio shows any slowdown the load left).
3. The load: many concurrent clients (httpx AsyncClient over one connection pool) for a fixed time, three
   review searches to one forecast, with varied queries, filters and products from the demo catalogue. Every
   request is recorded (route, status, latency); an error is any non-2xx answer or a failed request.
4. After the load: /healthz, one search and one forecast still answer with results, tracebacks in the server's
   log are counted, and once the server has stopped the workspace opens and answers a search in this process.
5. The same again against `serve --workers 2` with the reviews on a Chroma server started for the run, and a
   table of the two side by side (`workers`).

The client shares the machine's cores with the server, so absolute rates say little across machines; the
ratios against the single-client baseline measured in the same run are the comparable figures.

Modules: `load` (the request mix, the clients, the summary), `process` (the server process), `running` and
`workers`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """The suite's entry (imported on first use)."""
    from eval.suites.serve.running import run_suite

    run_suite(report, quick, scratch, console)
