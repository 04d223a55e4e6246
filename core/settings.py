"""Settings from the environment (prefix MARKETING_AGENT_) and the workspace's config.toml.

Precedence: explicit arguments, then environment variables, then `<workspace>/config.toml`, then defaults.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
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
    chroma_url: str | None = Field(None, description="A Chroma server URL; default: embedded in the workspace.")
    embed_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="Embedding precision; auto uses bf16 where the CPU has native bf16."
    )
    embed_backend: Literal["auto", "openvino", "torch"] = Field(
        "auto", description="Embedding runtime; auto uses OpenVINO when installed, else torch."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    llm_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="Local text model precision; auto uses bf16 where the CPU has native bf16."
    )
    torch_threads: int | None = Field(None, ge=1, description="Torch CPU threads (default: all cores).")
    rate_limit_per_minute: int = Field(
        120, ge=0, description="REST requests per minute per API key (bursts up to a minute's worth); 0 = no limit."
    )
    max_request_mb: float = Field(1.0, gt=0, description="Largest REST request body, except review uploads (MB).")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest review upload to POST /v1/reviews (MB).")

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


def load_settings(workspace: str | Path | None = None) -> Settings:
    """Settings for `workspace` (default: MARKETING_AGENT_HOME or ./workspace), reading its config.toml."""
    if workspace is None:
        return Settings()
    token = _config_home.set(Path(workspace))
    try:
        return Settings(home=Path(workspace))
    finally:
        _config_home.reset(token)
