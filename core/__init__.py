"""The bottom layer every other package builds on: settings, the workspace, errors and atomic writes.

It imports none of `local_models/`, `tools/` or `agent/`.
"""
