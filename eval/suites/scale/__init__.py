"""`marketing-agent eval scale`: what more machines buy. One part per way out of a single process, each run in its
own scratch folder into one report (`--part NAME` runs one alone):

- `batch`: the four batch jobs (forecast, recommend, score-customers, embed-reviews) single-process against a Ray
  head on loopback with 1 and 2 workers: throughput, the ratio to the single-process path, and whether the results
  are the same; plus each item's warm cost in one process (what docs/scale.md extrapolates from).

Parts to come (issue 22): the Chroma server against the embedded store, and `serve --workers`. A new part is a module
`eval/suites/scale/<part>.py` with `run(report, quick, scratch, console)` and its name in the runner's table.
"""
