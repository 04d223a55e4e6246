"""The recommender: a Transformer over purchase sequences (see model.py)."""
