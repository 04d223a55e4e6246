"""The command line, run as a real process: JSON for scripts, one clear line (no traceback) for mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "agent.cli"]


def run(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=timeout)


def test_search_reviews_json_with_filters_and_insight(demo_store) -> None:
    out = run(
        "search-reviews",
        "runs small",
        "--product",
        "1001",
        "-k",
        "3",
        "--insight",
        "--json",
        "--workspace",
        str(demo_store.workspace),
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [h["product_id"] for h in result["hits"]] == ["1001"] * 3
    assert result["insight"]["complaints"][0]["aspect"] == "fit"


def test_human_output_cites_review_ids(demo_store) -> None:
    out = run("review-insight", "--product", "1017", "--workspace", str(demo_store.workspace))
    assert out.returncode == 0, out.stderr
    assert "Customers complain about" in out.stdout
    assert "[R0" in out.stdout  # quotes carry their review ids


def test_ingest_of_a_bad_file_lists_rows_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("product_id,rating,text\nP,5,fine\nP,0,zero stars\n,3,no product\n")
    out = run("ingest-reviews", str(bad), "--workspace", str(tmp_path / "ws"))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "row 2, column 'rating': 0 is outside 1-5" in out.stderr
    assert "row 3, column 'product_id': is empty" in out.stderr
    assert "Nothing was written" in out.stderr
    assert not (tmp_path / "ws" / "chroma").exists()


def test_ingest_with_column_mapping_then_skip_invalid(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("SKU,Stars,Comment\nA1,5,Lovely and soft\nA1,9,bad stars\n")
    mapping = ["--column", "product_id=SKU", "--column", "rating=Stars", "--column", "text=Comment"]
    out = run("ingest-reviews", str(data), *mapping, "--skip-invalid", "--json", "--workspace", str(tmp_path / "ws"))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (report["added"], report["skipped_invalid"]) == (1, 1)


def test_usage_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    out = run("search-reviews", "x", "--min-rating", "9", "--workspace", str(tmp_path))
    assert out.returncode == 2
    assert "min_rating" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("search-reviews", "x", "--date-from", "yesterday", "--workspace", str(tmp_path))
    assert out.returncode == 2
    assert "use YYYY-MM-DD" in out.stderr
    out = run("search-reviews", "anything", "--workspace", str(tmp_path / "empty"))
    assert out.returncode == 1
    assert "marketing-agent demo" in out.stderr
    out = run("ingest-reviews", str(tmp_path / "x.csv"), "--column", "oops", "--workspace", str(tmp_path))
    assert out.returncode == 2
    assert "use FIELD=HEADER" in out.stderr


def test_ask_json_is_an_agent_response(demo_store, tmp_path: Path) -> None:
    import shutil

    workspace = tmp_path / "ws"
    shutil.copytree(demo_store.workspace, workspace)  # ask writes memory and an audit line
    out = run("ask", "What do customers say about the fit of the Aurora dress?", "--json", "-w", str(workspace))
    assert out.returncode == 0, out.stderr
    response = json.loads(out.stdout)
    assert [c["name"] for c in response["tool_calls"]] == ["search_reviews"]
    assert response["citations"] and response["session_id"]
    assert response["citations"][0]["review_id"] in response["answer"]


def test_chat_answers_then_quits_on_end_of_input(demo_store, tmp_path: Path) -> None:
    import shutil

    workspace = tmp_path / "ws"
    shutil.copytree(demo_store.workspace, workspace)
    chat = subprocess.run(
        [*CLI, "chat", "-w", str(workspace)],
        input="Forecast the Aurora dress for the next 8 weeks\nand for next quarter?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**__import__("os").environ, "COLUMNS": "160"},
    )
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.count("forecast_sales") >= 2  # each turn shows its tool call
    assert "Chart saved:" in chat.stdout and list((workspace / "plots").glob("forecast-1001-*.png"))
    assert "13 weeks" in chat.stdout  # the follow-up kept the product and changed the horizon


def test_ask_without_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    out = run("ask", "forecast the dress", "-w", str(tmp_path / "nothing-here"))
    assert out.returncode == 1 and "marketing-agent demo" in out.stderr and "Traceback" not in out.stderr
