"""A local generator behind the app's own OpenAI-compatible endpoint on 127.0.0.1, and LangChain's OpenAI chat
model on it: how the suites run the agent's OpenAI path with no network."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from agent.openai_server import OpenAIServer
    from local_models.textgen.base import TextGenerator

KEY = "eval-key"


def served_chat_model(
    generator: TextGenerator, *, max_completion_tokens: int, temperature: float | None = None
) -> tuple[OpenAIServer, ChatOpenAI]:
    """Serve `generator` on a free loopback port; the running server (stop it when done) and a chat model on it.
    No retries: a loopback server that fails once fails again, and the suite must see it."""
    from agent.openai_server import serve_openai
    from local_models.textgen.langchain_chat import openai_chat_model

    server = serve_openai(generator, api_key=KEY)
    model = openai_chat_model(
        model=generator.model,
        api_key=KEY,
        base_url=server.base_url,
        timeout=60,
        max_retries=0,
        max_completion_tokens=max_completion_tokens,
        temperature=temperature,
    )
    return server, model
