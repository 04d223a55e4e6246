"""A Transformer over each customer's purchase sequence: an embedding for segments and a forecast of future
purchases and spend (see model.py and train.py)."""
