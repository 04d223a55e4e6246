"""Locating the real public data in ../shared/data (never copied into the repository)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

REVIEWS_FILE = "reviews/womens_clothing_ecommerce_reviews.csv.gz"
REAL_REVIEW_COLUMNS = ("review_id", "product_id", "rating", "title", "text", "category", "date")  # load_real_reviews
# The real reviews carry no dates; the latency benchmark gives each a deterministic synthetic date so
# date-range filters can be measured. Retrieval quality never uses these dates.
SYNTHETIC_START = date(2024, 1, 1)


def shared_data_dir() -> Path | None:
    """MARKETING_AGENT_SHARED_DATA, else ../shared/data beside the repository; None when absent."""
    configured = os.environ.get("MARKETING_AGENT_SHARED_DATA")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(__file__).resolve().parents[1].parent / "shared" / "data")
    return next((c for c in candidates if c.is_dir()), None)


def real_reviews_path() -> Path | None:
    folder = shared_data_dir()
    path = folder / REVIEWS_FILE if folder else None
    return path if path is not None and path.is_file() else None


def load_real_reviews() -> pd.DataFrame:
    """The women's clothing reviews as review rows, in REAL_REVIEW_COLUMNS (the date synthetic, see above). Rows
    without text are dropped."""
    path = real_reviews_path()
    if path is None:
        raise FileNotFoundError(f"{REVIEWS_FILE} not found under ../shared/data (or MARKETING_AGENT_SHARED_DATA)")
    raw = pd.read_csv(path, index_col=0)
    raw = raw[raw["Review Text"].notna() & (raw["Review Text"].astype(str).str.strip() != "")]
    frame = pd.DataFrame(
        {
            "review_id": "wc-" + raw.index.astype(str),
            "product_id": raw["Clothing ID"].astype(str),
            "rating": raw["Rating"].astype(int),
            "title": raw["Title"].fillna("").astype(str),
            "text": raw["Review Text"].astype(str),
            "category": raw["Class Name"].fillna("").astype(str),
        }
    )
    frame["date"] = [(SYNTHETIC_START + timedelta(days=(i * 37) % 730)).isoformat() for i in raw.index]
    return frame.reset_index(drop=True)[list(REAL_REVIEW_COLUMNS)]
