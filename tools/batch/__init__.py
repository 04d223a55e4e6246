"""Batch jobs over everything a workspace holds: forecast every series, recommend for every customer, score every
customer, embed every review. Chunked, resumable, in this process by default or on Ray (`tools/batch/on_ray.py`).

    from tools.batch.run import run_batch
    report = run_batch("recommend", workspace="ws", ray="local", workers=2)

Not a tool unit (no agent routes to it): the CLI's `batch` command and the REST API's `/v1/batch/{job}` run it.
"""

from __future__ import annotations  # nothing imported here: the CLI loads this package on every start
