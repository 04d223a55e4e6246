"""A global Transformer forecaster trained on the user's own series (see model.py and train.py)."""
