"""eval/ as a table: every suite (and part) the runner names is a module with `run(report, quick, scratch,
console)`, nothing under eval/ imports the runner back or forms an import cycle, and no suite file outgrows one
sitting. Read from the source (no suite is imported), so it is fast and sees imports inside functions too."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from core.errors import MarketingAgentError
from eval.runner import SUITES, run_suite

EVAL = Path(__file__).resolve().parents[1] / "eval"
RUN_ARGUMENTS = ["report", "quick", "scratch", "console"]
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(EVAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def eval_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(EVAL.rglob("*.py"))}


def imported(path: Path, module: str) -> set[str]:
    """Every module `path` (the module named `module`) imports, at the top or inside a function (relative
    imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def test_every_suite_and_part_is_a_module_with_a_run_entry() -> None:
    modules = [module for suite in SUITES.values() for _, module in suite.modules()]
    assert len(modules) == 21
    for module in modules:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        assert module.startswith("eval.suites."), module
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        runs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"]
        reexported = [n for n in tree.body if isinstance(n, ast.ImportFrom) and any(a.name == "run" for a in n.names)]
        assert runs or reexported, f"{module} has no run()"
        if runs:
            assert [a.arg for a in runs[0].args.args] == RUN_ARGUMENTS, module


def test_nothing_under_eval_imports_the_runner() -> None:
    modules = eval_modules().items()
    offenders = [name for name, path in modules if name != "eval.runner" and "eval.runner" in imported(path, name)]
    assert offenders == []


def test_eval_has_no_import_cycle() -> None:
    modules = eval_modules()
    graph = {name: {m for m in imported(path, name) if m in modules and m != name} for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for follower in sorted(graph[name]):
            if state.get(follower) == "open":
                cycles.append([*trail[trail.index(follower) :], follower])
            elif follower not in state:
                visit(follower, [*trail, follower])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_graph_check_sees_a_cycle(tmp_path: Path) -> None:
    # The check above would pass on a graph it cannot read: show it reads a lazy import back to the runner.
    suite = tmp_path / "probe.py"
    suite.write_text("def run():\n    from eval.runner import run_suite\n    from ..report import Table\n")
    assert {"eval.runner", "eval.report", "eval.report.Table"} <= imported(suite, "eval.suites.probe")


def test_no_eval_file_is_over_500_lines() -> None:
    lines = {str(p.relative_to(EVAL)): len(p.read_text(encoding="utf-8").splitlines()) for p in EVAL.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > MAX_LINES} == {}


def test_unknown_suites_and_parts_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(MarketingAgentError, match="choose from ad-copy, agent"):
        run_suite("nope", reports_dir=tmp_path)
    with pytest.raises(MarketingAgentError, match="choose from injection, pii"):
        run_suite("security", part="nope", reports_dir=tmp_path)
    with pytest.raises(MarketingAgentError, match="it has no parts"):
        run_suite("agent", part="x", reports_dir=tmp_path)
