"""A LangChain chat model on the text generator the settings choose, for chains that only need text.

`local_models.textgen.langchain_chat.GeneratorChatModel` takes its generator as an argument (local_models never
reads settings); `SettingsChatModel` is the same model that, given none, builds the one MARKETING_AGENT_LLM,
OPENAI_API_KEY and the rest of the settings choose (see `tools.models.text_generator`).

    chat = SettingsChatModel(max_tokens=40)   # local SmolLM2 by default, OpenAI with MARKETING_AGENT_LLM=openai
"""

from __future__ import annotations

from pydantic import Field

from local_models.textgen.base import TextGenerator
from local_models.textgen.langchain_chat import GeneratorChatModel
from tools.models import text_generator


def _from_settings() -> TextGenerator:
    return text_generator()


class SettingsChatModel(GeneratorChatModel):
    """`GeneratorChatModel` whose generator defaults to the one the settings choose."""

    generator: TextGenerator = Field(default_factory=_from_settings, exclude=True)
