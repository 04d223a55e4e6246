"""The customer model: a Transformer encoder over a customer's purchase events, read through a summary token.

Design, and why:
- One token per purchase event (most recent `max_events`), carrying what a CRM knows about it: log amount,
  log quantity, days since the previous purchase, days before the cut-off, a return flag, plus learned
  embeddings of its channel and product (hashed into buckets, so unseen ids still work). A learned summary
  token ([CLS]) attends over the events; customer-level facts (RFM, tenure, how long the forecast window
  is) enter as one more token, so a customer with one purchase still has something to read.
- Two heads on the summary: purchases in the next window, as a Poisson rate whose log grows linearly in
  log(window length) with a customer-specific slope (so the model extrapolates from the windows it could
  be trained on to the window asked for, the way churn bends cumulative purchases below a straight line),
  and the average order value of those purchases (log-normal). Expected spend is their product.
- The summary vector, L2-normalised, is the customer embedding that is clustered into segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from local_models.blocks import Block

EVENT_FEATURES = 5  # log amount, log quantity, log days since previous, log days before cut-off, is return
CUSTOMER_FEATURES = 7  # log recency, log frequency, log monetary, log tenure, log AOV, return rate, log window


@dataclass
class SegmenterConfig:
    max_events: int = 32  # most recent purchases read per customer
    channels: int = 8  # channel vocabulary (index 0 = unknown)
    product_buckets: int = 64  # product ids are hashed into this many embeddings (0 = none)
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.1
    embedding_dim: int = 16  # size of the customer embedding used for segments


class CustomerModel(nn.Module):
    def __init__(self, config: SegmenterConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.event_proj = nn.Linear(EVENT_FEATURES, c.d_model)
        self.channel = nn.Embedding(c.channels, c.d_model)
        self.product = nn.Embedding(max(1, c.product_buckets), c.d_model)
        self.customer_proj = nn.Linear(CUSTOMER_FEATURES, c.d_model)
        self.summary = nn.Parameter(torch.zeros(1, 1, c.d_model))
        self.position = nn.Parameter(torch.zeros(1, c.max_events, c.d_model))  # recency order of events
        nn.init.normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout) for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model)
        self.to_embedding = nn.Linear(c.d_model, c.embedding_dim)
        self.purchases = nn.Linear(c.embedding_dim + c.d_model, 2)  # log rate at window 1, slope in log window
        self.order_value = nn.Linear(c.embedding_dim + c.d_model, 2)  # mean and log sd of log AOV

    def forward(
        self,
        events: torch.Tensor,
        channels: torch.Tensor,
        products: torch.Tensor,
        mask: torch.Tensor,
        customer: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """events (B, E, 5); channels, products (B, E) int; mask (B, E) True for real events;
        customer (B, 7) with log window length last. Returns the embedding (B, D), the log expected
        purchase count in the window (B,), and the log-normal parameters of order value (B,) x 2."""
        B = events.shape[0]
        tokens = self.event_proj(events) + self.channel(channels) + self.product(products) + self.position  # (B, E, C)
        head = torch.cat([self.summary.expand(B, 1, -1), self.customer_proj(customer).unsqueeze(1)], dim=1)  # (B, 2, C)
        x = torch.cat([head, tokens], dim=1)  # (B, 2+E, C)
        attend = torch.cat([torch.ones(B, 2, dtype=torch.bool), mask], dim=1)[:, None, None, :]  # (B, 1, 1, 2+E)
        for block in self.blocks:
            x = block(x, attend)
        summary = self.norm(x[:, 0])  # (B, C)
        embedding = F.normalize(self.to_embedding(summary), dim=-1)  # (B, D)
        features = torch.cat([embedding, summary], dim=-1)  # (B, D+C)
        rate, slope = self.purchases(features).unbind(-1)  # (B,), (B,)
        log_window = customer[:, -1]
        log_count = rate + F.softplus(slope) * log_window  # grows with the window, never shrinks
        aov_mean, aov_log_sd = self.order_value(features).unbind(-1)
        return {"embedding": embedding, "log_count": log_count, "aov_mean": aov_mean, "aov_log_sd": aov_log_sd}


def poisson_loss(log_count: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """Poisson negative log-likelihood (up to a constant): its minimiser is the expected count."""
    return (torch.exp(log_count) - count * log_count).mean()


def order_value_loss(
    mean: torch.Tensor, log_sd: torch.Tensor, log_aov: torch.Tensor, has: torch.Tensor
) -> torch.Tensor:
    """Gaussian NLL of log average order value, only for customers who bought in the window."""
    if not bool(has.any()):
        return mean.sum() * 0.0
    sd = torch.exp(log_sd.clamp(-5, 3))
    nll = 0.5 * ((log_aov - mean) / sd) ** 2 + torch.log(sd)
    return nll[has].mean()
