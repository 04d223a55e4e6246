"""The brand profile (YAML): voice, audience, words and claims to avoid, required disclaimers per channel and
the domains copy may link to. The ad-copy tool writes in this voice and checks every variant against it.

`set_brand(FILE)` (`marketing-agent set-brand FILE`, `PUT /v1/brand`) checks a profile strictly (a misspelt key
such as `baned_words` would silently drop the brand's rules, so unknown keys are refused) and stores it where
`load_brand` reads it, atomically; a profile with any problem changes nothing."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.atomic import write_text
from core.errors import DataError, DataProblem
from core.tabular import check_readable
from core.workspace import Workspace

BRAND_FILE = "brand.yaml"
MAX_BRAND_BYTES = 1_000_000
SET_BRAND_HINT = "Nothing was written: the workspace's brand profile is as it was."
# Channel -> the disclaimer group a brand profile lists it under (profiles may also use the channel name).
DISCLAIMER_GROUP = {"google_search": "web", "meta_feed": "social", "email": "email", "sms": "sms"}
DEFAULT_SMS_OPT_OUT = "Reply STOP to opt out."
DEFAULT_EMAIL_FOOTER = "You can unsubscribe at any time."


class BrandProfile(BaseModel):
    """What a brand sounds like and what its copy must never say."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field("", max_length=200)
    voice: str = Field("", max_length=2000)
    audience: str = Field("", max_length=2000)
    tone_words: list[str] = Field(default_factory=list, max_length=50)
    banned_words: list[str] = Field(default_factory=list, max_length=500)
    banned_claims: list[str] = Field(default_factory=list, max_length=500)
    required_disclaimers: dict[str, list[str]] = Field(default_factory=dict)
    url_allowlist: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("tone_words", "banned_words", "banned_claims", "url_allowlist", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("required_disclaimers", mode="before")
    @classmethod
    def _disclaimer_lists(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            return {str(k): ([v] if isinstance(v, str) else (v or [])) for k, v in value.items()}
        return value

    def disclaimers(self, channel: str) -> list[str]:
        """Disclaimers copy on `channel` must carry; SMS always carries an opt-out."""
        found = self.required_disclaimers.get(channel) or self.required_disclaimers.get(
            DISCLAIMER_GROUP.get(channel, channel), []
        )
        if channel == "sms" and not any("stop" in d.lower() for d in found):
            found = [*found, DEFAULT_SMS_OPT_OUT]
        if channel == "email" and not found:
            found = [DEFAULT_EMAIL_FOOTER]
        return list(found)


def load_brand(path: str | Path | None = None, *, workspace: str | Path | Workspace | None = None) -> BrandProfile:
    """The brand profile at `path`, else the workspace's data/brand.yaml, else a neutral profile (which
    still enforces channel limits, opt-outs, PII and unsupported claims)."""
    if path is None:
        candidate = Workspace.open(workspace).data_dir / BRAND_FILE
        if not candidate.exists():
            return BrandProfile()
        path = candidate
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(source, [DataProblem(f"cannot read the brand profile: {exc}")]) from exc
    except yaml.YAMLError as exc:
        raise DataError(source, [DataProblem(f"not valid YAML: {exc}")]) from exc
    if raw is None:
        return BrandProfile()
    if not isinstance(raw, dict):
        raise DataError(source, [DataProblem("a brand profile is a mapping (name:, voice:, banned_words: ...)")])
    try:
        return BrandProfile.model_validate(raw)
    except ValidationError as exc:
        raise DataError(source, _validation_problems(exc)) from exc


def _validation_problems(exc: ValidationError) -> list[DataProblem]:
    return [DataProblem(e["msg"], column=".".join(str(p) for p in e["loc"])) for e in exc.errors()]


class BrandReport(BaseModel):
    """What `set_brand` stored."""

    source: str
    path: str = Field(description="Where the profile is stored in the workspace.")
    changed: bool = Field(description="False when the workspace already had exactly this profile.")
    profile: BrandProfile


def set_brand(path: str | Path, *, workspace: str | Path | Workspace | None = None) -> BrandReport:
    """Check the brand profile YAML at `path` and make it the workspace's. DataError names every problem."""
    source = Path(path)
    check_readable(source)
    if source.stat().st_size > MAX_BRAND_BYTES:
        problem = f"is {source.stat().st_size:,} bytes; a brand profile is at most {MAX_BRAND_BYTES:,}"
        raise DataError(source, [DataProblem(problem)], SET_BRAND_HINT)
    try:
        raw = yaml.safe_load(source.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(source, [DataProblem("is not UTF-8 text; re-save it as UTF-8")], SET_BRAND_HINT) from None
    except yaml.YAMLError as exc:
        raise DataError(source, [DataProblem(f"not valid YAML: {_yaml_problem(exc)}")], SET_BRAND_HINT) from None
    return set_brand_profile(raw, source=str(source), workspace=workspace)


def set_brand_profile(
    profile: Any, *, source: str = "request", workspace: str | Path | Workspace | None = None
) -> BrandReport:
    """Check a brand profile given as a mapping (e.g. a REST request's JSON) and make it the workspace's."""
    checked = _strict_profile(profile, source)
    target = Workspace.open(workspace).data_dir / BRAND_FILE
    text = yaml.safe_dump(checked.model_dump(), sort_keys=False, allow_unicode=True, width=100)
    previous = target.read_text(encoding="utf-8") if target.is_file() else None
    if text != previous:
        write_text(target, text)
    return BrandReport(source=source, path=str(target), changed=text != previous, profile=checked)


def _strict_profile(raw: Any, source: str) -> BrandProfile:
    if not isinstance(raw, Mapping) or not raw:
        problem = "is empty" if not raw else "is not a mapping"
        example = "name: Northwind\nvoice: warm and plain\nbanned_words: [cheap, guaranteed]"
        problems = [DataProblem(f"the brand profile {problem}; write keys and values, e.g.\n{example}")]
        raise DataError(source, problems, SET_BRAND_HINT)
    problems = [_unknown_key(str(key)) for key in raw if key not in BrandProfile.model_fields]
    try:
        json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        problems.append(DataProblem("holds text that is not valid Unicode (a lone surrogate); send UTF-8 text"))
    problems += _disclaimer_problems(raw.get("required_disclaimers"))
    profile: BrandProfile | None = None
    try:
        profile = BrandProfile.model_validate(dict(raw))
    except ValidationError as exc:
        problems += _validation_problems(exc)
    if profile is not None and not profile.name.strip():
        problems.append(DataProblem("is empty (need the brand's name)", column="name"))
    if problems or profile is None:
        raise DataError(source, problems, SET_BRAND_HINT)
    return profile


def _unknown_key(key: str) -> DataProblem:
    known = list(BrandProfile.model_fields)
    close = difflib.get_close_matches(key, known, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return DataProblem(f"unknown key {key!r}; {guess}the keys are {', '.join(known)}")


def _disclaimer_problems(value: Any) -> list[DataProblem]:
    """Disclaimers are listed by channel or channel group; any other key would never be shown."""
    if not isinstance(value, Mapping):
        return []
    groups = list(dict.fromkeys([*DISCLAIMER_GROUP.values(), *DISCLAIMER_GROUP]))
    return [
        DataProblem(f"{key!r} is not a channel or channel group ({', '.join(groups)})", column="required_disclaimers")
        for key in value
        if key not in groups
    ]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else problem
