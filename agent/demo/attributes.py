"""The demo customers' attributes for fairness audits: age band, gender and income band, drawn per persona from
a seed of their own (so the other files do not change). Lapsed and occasional shoppers lean young, loyal ones
older and better off, so the at-risk offer reaches age groups at different rates, as real ones often do; gender is
drawn independently of everything, so a fair audit by gender is what to expect."""

from __future__ import annotations

import numpy as np
import pandas as pd

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_SHARES = {  # per persona, over AGE_BANDS
    "loyal": (0.05, 0.15, 0.22, 0.24, 0.20, 0.14),
    "lapsed": (0.26, 0.30, 0.18, 0.12, 0.09, 0.05),
    "bargain_hunter": (0.16, 0.24, 0.22, 0.18, 0.12, 0.08),
    "new": (0.22, 0.26, 0.20, 0.14, 0.10, 0.08),
    "occasional": (0.20, 0.26, 0.20, 0.15, 0.11, 0.08),
}
GENDERS = ("female", "male", "non-binary")
GENDER_SHARES = (0.52, 0.45, 0.03)
INCOME_BANDS = ("under 35k", "35-75k", "75-150k", "over 150k")
INCOME_SHARES = {
    "loyal": (0.12, 0.33, 0.38, 0.17),
    "lapsed": (0.30, 0.40, 0.24, 0.06),
    "bargain_hunter": (0.34, 0.42, 0.20, 0.04),
    "new": (0.24, 0.38, 0.28, 0.10),
    "occasional": (0.25, 0.40, 0.27, 0.08),
}


def with_attributes(customers: pd.DataFrame, personas: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """`customers` (one row per customer) with age_band, gender and income_band columns."""
    out = customers.copy()
    out["age_band"] = [AGE_BANDS[rng.choice(len(AGE_BANDS), p=AGE_SHARES[p])] for p in personas]
    out["gender"] = [GENDERS[i] for i in rng.choice(len(GENDERS), size=len(out), p=GENDER_SHARES)]
    out["income_band"] = [INCOME_BANDS[rng.choice(len(INCOME_BANDS), p=INCOME_SHARES[p])] for p in personas]
    return out
