"""The README's configuration table says what `Settings` reads: every setting, by its variable, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import ENV_PREFIX, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _table() -> dict[str, str]:
    """variable -> default cell, from the rows of the table under "## Configuration"."""
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z_]+)`", cells[0])
        defaults = [d.strip().strip("`") for d in cells[1].split(",")]
        for i, name in enumerate(names):
            rows[name] = defaults[i] if len(defaults) == len(names) else cells[1].strip("`")
    return rows


def _variables() -> dict[str, object]:
    """variable -> default, for every setting (the first name it is read from)."""
    found: dict[str, object] = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        variable = str(choices[0]) if choices else ENV_PREFIX + name.upper()
        found[variable] = field.default
    return found


def test_the_configuration_table_lists_every_setting_and_nothing_else() -> None:
    assert set(_table()) == set(_variables())


def test_the_configuration_table_states_each_default() -> None:
    table = _table()
    for variable, default in _variables().items():
        if default is None:
            continue  # described in words ("embedded", "all cores")
        stated = table[variable].removeprefix("./")
        same = stated == str(default) or (isinstance(default, float) and _number(stated) == default)
        same = same or (isinstance(default, bool) and stated == str(default).lower())  # env values: true / false
        assert same, f"{variable}: README says {table[variable]!r}, Settings says {default!r}"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
