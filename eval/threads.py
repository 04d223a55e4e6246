"""How many torch threads a server worker should compute with: N processes run the local model at once (as N
`serve --workers N` workers do when requests reach each), first with torch's default threads (every core each),
then with `worker_threads(N)` each. Same work in both rounds: a batch of 6 sequences, a 300-token prompt, 30 new
tokens forced (greedy), after one warm-up generation; the processes start their timed generation together.

    python -m eval.threads [--workers 2] [--rounds 2]

Prints seconds per process and the wall time of each round, and the default / per-worker ratio; timings only, so
it lives here and not in the tests. Rounds alternate (default, per-worker, default, ...) so that other load on the
machine falls on both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agent.server import worker_threads

PROMPT_TOKENS, NEW_TOKENS, BATCH = 300, 30, 6


def child(model_workspace: Path, threads: int | None, start: Path) -> None:
    """One worker's share: load, warm up, wait for `start` to appear, time one generation, print its seconds."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    from local_models.textgen.local import LocalGenerator

    model = LocalGenerator(workspace=model_workspace).load().model
    generate: Any = model.generate  # transformers' stubs type it as a tensor attribute
    ids = torch.randint(100, 1000, (BATCH, PROMPT_TOKENS), generator=torch.Generator().manual_seed(0))
    kwargs = {"attention_mask": torch.ones_like(ids), "do_sample": False}
    with torch.no_grad():
        generate(input_ids=ids, max_new_tokens=2, min_new_tokens=2, **kwargs)  # warm-up
        print("ready", flush=True)
        while not start.exists():
            time.sleep(0.01)
        began = time.perf_counter()
        generate(input_ids=ids, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, **kwargs)
    print(f"{time.perf_counter() - began:.3f} {torch.get_num_threads()}", flush=True)


def one_round(
    model_workspace: Path, workers: int, threads: int | None, scratch: Path
) -> tuple[list[float], float, int]:
    start = scratch / f"start-{time.monotonic_ns()}"
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)  # as `serve` sets it for its workers
    command = [sys.executable, "-m", "eval.threads", "--child", str(model_workspace), "--threads", str(threads or 0)]
    processes = [
        subprocess.Popen([*command, "--start", str(start)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(workers)
    ]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a worker failed to load the local model")
    began = time.perf_counter()
    start.touch()
    seconds, used = [], 0
    for process in processes:
        out, _ = process.communicate(timeout=900)
        value, used_text = out.split()
        seconds.append(float(value))
        used = int(used_text)
    return seconds, time.perf_counter() - began, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each setting, alternating")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.threads or None, args.start)
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    console = Console()
    share = worker_threads(args.workers)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        from local_models.textgen.local import LocalGenerator

        with console.status("Converting the local model once"):
            LocalGenerator(workspace=scratch / "llm").load()
        rows: dict[str, list[tuple[list[float], float, int]]] = {"default": [], "per worker": []}
        for r in range(args.rounds):
            for label, threads in (("default", None), ("per worker", share)):
                with console.status(f"round {r + 1}: {args.workers} processes, {label} threads"):
                    rows[label].append(one_round(scratch / "llm", args.workers, threads, scratch))
    table = Table(title=f"{args.workers} processes generating at once on {os.cpu_count()} cores")
    for column in ("threads", "round", "torch threads each", "seconds per process", "wall s"):
        table.add_column(column)
    for label, results in rows.items():
        for i, (seconds, wall, used) in enumerate(results, start=1):
            table.add_row(label, str(i), str(used), ", ".join(f"{s:.1f}" for s in seconds), f"{wall:.1f}")
    console.print(table)
    walls = {label: min(wall for _, wall, _ in results) for label, results in rows.items()}
    console.print(
        f"best wall time: default {walls['default']:.1f} s, per worker {walls['per worker']:.1f} s; "
        f"default / per worker = {walls['default'] / walls['per worker']:.2f}"
    )


if __name__ == "__main__":
    main()
