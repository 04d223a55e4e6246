"""The benchmark suites, one module (or package) each; `eval/runner.py` maps suite names to them.

Every suite (and every part of a suite made of parts) has `run(report, quick, scratch, console)`, which fills the
`SuiteReport` it is given. Suites import the shared helpers at `eval/` top level (report, metrics, data, demo
workspaces, fakes) and never the runner.
"""
