"""`marketing-agent eval security`: indirect prompt injection (OWASP LLM01/LLM06) and personal data (LLM02).

Two parts (`eval/runner.py` runs them in order, each building its own workspace under its scratch folder, into one
report): `injection` (planted hostile reviews x marketer tasks: attack success and utility, offline and through
the OpenAI-compatible path) and `pii` (seeded records with canaries through every interface; leaks per sink and
detector recall). `--part injection` or `--part pii` runs one of them alone.
"""
