"""Seeded generator of a coherent fictional store for demos, tests and evals."""

from __future__ import annotations

from agent.demo.generator import DemoFiles, generate_demo_data

__all__ = ["DemoFiles", "generate_demo_data"]
