"""The forecaster: one Transformer encoder over past and future time steps, with quantile outputs.

Design, and why:
- One token per time step, past and future. Past tokens carry the scaled value, an "observed" flag and any
  covariates; future tokens carry only the covariates known in advance (price, promotion, holiday). So a
  planned promotion enters exactly where it happens, and past-only covariates simply stay zero ahead.
- Instance scaling (in the style of RevIN / PatchTST): each window is centred on its recent level and
  divided by its mean absolute seasonal difference, the denominator of MASE. The pinball loss on this
  scale is a quantile version of MASE, so training optimises what the benchmark measures, and one model
  serves series of any size.
- Bidirectional attention over all L + H tokens (future values are masked, so nothing leaks); a linear
  head reads each future token and emits every quantile at once (direct multi-horizon, no recursion).
- A seasonal-naive skip connection: future tokens carry last season's value and the head predicts a
  correction to it. Learning "repeat the season" from scratch takes thousands of steps; starting from it,
  the model spends its capacity on trend, level shifts, covariates and uncertainty.
Patching (PatchTST) pays off for contexts of hundreds of steps; retail and M3-style series have tens,
where a token per step is cheaper to reason about and costs little.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from local_models.blocks import Block


@dataclass
class ForecasterConfig:
    horizon: int = 18  # steps forecast at once
    context: int = 48  # past steps the model reads (shorter histories are left-padded and masked)
    period: int = 12  # seasonal period: 12 monthly, 52 weekly, 7 daily (scaling and defaults)
    quantiles: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    known_covariates: tuple[str, ...] = ()  # known ahead (price, promo, holiday): on past and future tokens
    past_covariates: tuple[str, ...] = ()  # only known up to now: on past tokens, zero ahead
    binary_covariates: tuple[str, ...] = ()  # 0/1 covariates fed raw; the others are scaled by their context mean
    log_transform: bool = False  # model log1p(values): multiplicative trend and seasonality become additive
    patch: int = 3  # time steps per token (PatchTST): 3x fewer tokens than one per step, ~3x faster on CPU
    d_model: int = 64  # token width
    n_heads: int = 4
    n_layers: int = 3
    d_ff: int = 192  # feed-forward width
    dropout: float = 0.1
    max_scaled: float = 50.0  # scaled inputs are clipped to +-this: one wild point cannot blow up a batch
    freq: str = ""  # pandas frequency of the training data (informational, used for dates in forecasts)
    covariate_defaults: dict[str, str] = field(default_factory=dict)  # how unknown future covariates are filled

    @property
    def padded_horizon(self) -> int:
        """The horizon rounded up to whole patches; the extra steps are predicted and dropped."""
        return -(-self.horizon // self.patch) * self.patch

    @property
    def steps(self) -> int:
        return self.context + self.padded_horizon

    @property
    def n_features(self) -> int:
        # value, observed flag, is-future flag, covariates, then last season's known covariates
        return 3 + 2 * len(self.known_covariates) + len(self.past_covariates)

    @property
    def median_index(self) -> int:
        return min(range(len(self.quantiles)), key=lambda i: abs(self.quantiles[i] - 0.5))


class TransformerForecaster(nn.Module):
    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.config = config
        if config.context % config.patch:
            raise ValueError(f"context {config.context} must be a multiple of patch {config.patch}")
        tokens = config.steps // config.patch
        self.embed = nn.Linear(config.n_features * config.patch, config.d_model)
        self.position = nn.Parameter(torch.zeros(1, tokens, config.d_model))
        nn.init.normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(
            Block(config.d_model, config.n_heads, config.d_ff, config.dropout) for _ in range(config.n_layers)
        )
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.patch * len(config.quantiles))

    def forward(self, features: torch.Tensor, padding: torch.Tensor, baseline: torch.Tensor) -> torch.Tensor:
        """features: (B, L+H', F) scaled inputs per step (H' = horizon rounded up to whole patches);
        padding: (B, L+H') True where a past step does not exist; baseline: (B, H) scaled seasonal-naive
        forecast. Returns (B, H, Q) scaled quantiles: the baseline plus the model's corrections."""
        c = self.config
        B, S, F_ = features.shape
        patches = features.reshape(B, S // c.patch, c.patch * F_)  # (B, T, P*F)
        x = self.embed(patches) + self.position  # (B, T, C)
        empty = padding.reshape(B, S // c.patch, c.patch).all(dim=-1)  # (B, T): patches with no data at all
        attend = (~empty)[:, None, None, :]  # (B, 1, 1, T); future patches are never empty
        for block in self.blocks:
            x = block(x, attend)
        future = self.norm(x[:, c.context // c.patch :])  # (B, H'/P, C)
        out: torch.Tensor = self.head(future).reshape(B, c.padded_horizon, len(c.quantiles))  # (B, H', Q)
        return out[:, : c.horizon] + baseline.unsqueeze(-1)  # (B, H, Q)


def pinball_loss(predicted: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Mean quantile loss. predicted (B, H, Q), target (B, H), quantiles (Q,)."""
    error = target.unsqueeze(-1) - predicted  # (B, H, Q)
    return torch.maximum(quantiles * error, (quantiles - 1.0) * error).mean()


class ForecasterEnsemble(nn.Module):
    """Members trained with different seeds and context lengths; the forecast is the mean of their quantiles.
    On small data sets averaging a few models removes much of the seed-to-seed variance."""

    def __init__(self, members: list[TransformerForecaster]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        self.config = members[0].config  # horizon, quantiles, covariates and period are shared

    @property
    def max_context(self) -> int:
        return max(m.config.context for m in self.member_list)

    @property
    def member_list(self) -> list[TransformerForecaster]:
        return [m for m in self.members if isinstance(m, TransformerForecaster)]
