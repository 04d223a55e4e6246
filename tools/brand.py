"""The brand profile (YAML): voice, audience, words and claims to avoid, required disclaimers per channel and
the domains copy may link to. The ad-copy tool writes in this voice and checks every variant against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import DataError, DataProblem
from core.workspace import Workspace

BRAND_FILE = "brand.yaml"
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
        problems = [DataProblem(e["msg"], column=".".join(str(p) for p in e["loc"])) for e in exc.errors()]
        raise DataError(source, problems) from exc
