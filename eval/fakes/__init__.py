"""Stand-ins for the models and endpoints the agent talks to, shared by `tests/` and the `eval/` suites.

- `ScriptedGenerator` (`eval.fakes.textgen`): a `TextGenerator` answering from a script (a fixed text or a
  function of the prompt), or passing through to a real generator; it records every prompt either way.
- `ScriptedChatModel` (`eval.fakes.chat_model`): a LangChain chat model with tool calling (`bind_tools` returns
  itself) whose replies, tool calls included, come from a list or a function of the turn.
- `ScriptedOpenAIServer` (`eval.fakes.openai_server`): an OpenAI-compatible HTTP endpoint on a free loopback
  port that answers from a script (plain or streamed) and injects the faults the reliability suite measures.

The app's own OpenAI-compatible endpoint (`agent/openai_server.py`) serves a real generator; these are for
scripted answers and faults only. Each module imports only what it needs, so importing one stays cheap.
"""
