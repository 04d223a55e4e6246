"""`marketing-agent eval reliability`: provider faults and excessive consumption (OWASP LLM10), crash safety
under `kill -9`, and bad input.

Three parts (`eval/runner.py` runs them in order, each building its own workspace under its scratch folder, into
one report): `faults` (a fault-injecting OpenAI-compatible server; loop-inducing and huge requests), `crash`
(kills during ingest and training) and `input` (malformed files and requests through the CLI, the Python tools
and the REST API, with the workspace hashed before and after). `--part faults`, `--part crash` or `--part input`
runs one of them alone.
"""
