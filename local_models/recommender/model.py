"""The recommender: a Transformer over a customer's purchase sequence that scores every product for the next weeks,
plus a repeat head that scores the products the customer already buys.

Design, and why:
- One token per purchase line (most recent `max_events`), carrying the product's embedding (its id, plus its
  category and price band when side features are on: a product bought by few still has a category) and when it
  happened (days before the cut-off, days since the previous purchase day, log quantity). A summary token reads
  the sequence, with one more token of customer facts (baskets, recency, products tried, tenure).
- The summary scores every product in the vocabulary against the same product embeddings the sequence uses
  (tied input and output embeddings, as in SASRec), plus a per-product bias (popularity).
- Grocery and fashion baskets are mostly repeats, where a customer's own history beats any embedding ("A Next
  Basket Recommendation Reality Check", Li et al. 2023). So the products the customer bought before get a second
  score from a small head that reads what a marketer would: how often they bought it, how long since, how
  regularly (days since last / usual gap says "due"), and what share of their baskets hold it, next to the
  summary and the product's embedding. The two scores add up in one softmax, so the model learns, per customer,
  how much to trust repeats against new products.
- Trained with a full softmax over all products against the products bought in the next window (gSASRec, RecSys
  2023: many negatives beat the one-negative BCE of the original SASRec; `loss="bce"` trains that for
  comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from local_models.blocks import Block

EVENT_FEATURES = 3  # log days before the cut-off, log days since the previous purchase day, log quantity
CUSTOMER_FEATURES = 4  # log baskets, log days since the last purchase, log distinct products, log tenure
REPEAT_FEATURES = 6  # log count, log days bought, log days since last, log usual gap, due ratio, basket share
PAD, UNKNOWN = 0, 1  # product indices that are never recommended


@dataclass
class RecommenderConfig:
    items: int = 2  # product vocabulary size, PAD and UNKNOWN included (set from the data)
    categories: int = 1  # category vocabulary size, 0 = unknown (set from the data)
    price_bands: int = 9  # 0 = unknown, then price quantile bands
    max_events: int = 50  # most recent purchase lines read per customer
    max_repeats: int = 64  # products from the customer's own history scored by the repeat head
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.1
    side_features: bool = True  # category and price band in each product's embedding
    repeat_features: bool = True  # the repeat head
    repeat_prior: float = 0.0  # initial weight of log(times bought) in a repeat's score (0 = none; learnt after)


class RecommenderModel(nn.Module):
    def __init__(self, config: RecommenderConfig, item_category: torch.Tensor, item_band: torch.Tensor) -> None:
        super().__init__()
        c = config
        self.config = config
        self.item = nn.Embedding(c.items, c.d_model)
        nn.init.normal_(self.item.weight, std=0.02)
        self.item_category: torch.Tensor
        self.item_band: torch.Tensor
        self.register_buffer("item_category", item_category.long(), persistent=True)  # (V,)
        self.register_buffer("item_band", item_band.long(), persistent=True)  # (V,)
        if c.side_features:
            self.category = nn.Embedding(max(1, c.categories), c.d_model)
            self.band = nn.Embedding(c.price_bands, c.d_model)
            nn.init.normal_(self.category.weight, std=0.02)
            nn.init.normal_(self.band.weight, std=0.02)
        self.event_proj = nn.Linear(EVENT_FEATURES, c.d_model)
        self.customer_proj = nn.Linear(CUSTOMER_FEATURES, c.d_model)
        self.summary = nn.Parameter(torch.zeros(1, 1, c.d_model))
        self.position = nn.Parameter(torch.zeros(1, c.max_events, c.d_model))  # recency order of events
        nn.init.normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout) for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model)
        self.bias = nn.Parameter(torch.zeros(c.items))
        if c.repeat_features:
            self.prior_scale = nn.Parameter(torch.tensor(float(c.repeat_prior)))
            self.repeat = nn.Sequential(
                nn.Linear(REPEAT_FEATURES + 2 * c.d_model, c.d_ff), nn.GELU(), nn.Linear(c.d_ff, 1)
            )

    def item_vectors(self, index: torch.Tensor | None = None) -> torch.Tensor:
        """Embeddings of products `index` (any shape; all products when None) -> (..., C)."""
        if index is None:
            index = torch.arange(self.config.items)
        vectors: torch.Tensor = self.item(index)
        if self.config.side_features:
            vectors = vectors + self.category(self.item_category[index]) + self.band(self.item_band[index])
        return vectors

    def forward(
        self,
        items: torch.Tensor,
        events: torch.Tensor,
        mask: torch.Tensor,
        customer: torch.Tensor,
        repeat_items: torch.Tensor,
        repeat: torch.Tensor,
    ) -> torch.Tensor:
        """items (B, E) product indices of the recent purchase lines, most recent first; events (B, E, 3); mask
        (B, E) True for real lines; customer (B, 4); repeat_items (B, R) products from the customer's history
        (PAD where fewer); repeat (B, R, 6) their features. Returns logits over every product (B, V), with PAD
        and UNKNOWN at -inf."""
        B = items.shape[0]
        tokens = self.item_vectors(items) + self.event_proj(events) + self.position  # (B, E, C)
        head = torch.cat([self.summary.expand(B, 1, -1), self.customer_proj(customer).unsqueeze(1)], dim=1)
        x = torch.cat([head, tokens], dim=1)  # (B, 2+E, C)
        attend = torch.cat([torch.ones(B, 2, dtype=torch.bool), mask], dim=1)[:, None, None, :]  # (B, 1, 1, 2+E)
        for block in self.blocks:
            x = block(x, attend)
        summary = self.norm(x[:, 0])  # (B, C)
        logits = summary @ self.item_vectors().T + self.bias  # (B, V)
        if self.config.repeat_features:
            vectors = self.item_vectors(repeat_items)  # (B, R, C)
            reading = torch.cat([repeat, summary.unsqueeze(1).expand_as(vectors), vectors], dim=-1)
            # personal frequency (log times bought) as a prior the head corrects: where training starts from
            score = self.repeat(reading).squeeze(-1) + self.prior_scale * repeat[..., 1]
            boost = score * (repeat_items > UNKNOWN)  # (B, R)
            logits = logits.scatter_add(1, repeat_items, boost)
        never = torch.zeros(self.config.items, dtype=torch.bool)
        never[[PAD, UNKNOWN]] = True
        masked: torch.Tensor = logits.masked_fill(never, float("-inf"))
        return masked


def softmax_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the full softmax against the next window's products: target (B, V) sums to 1 per row."""
    log_p = F.log_softmax(logits, dim=-1).masked_fill(target == 0, 0.0)
    return -(target * log_p).sum(-1).mean()


def one_negative_bce_loss(
    logits: torch.Tensor, rows: torch.Tensor, positives: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """The original SASRec loss: each bought product against one product drawn at random (rows[i], positives[i]
    index the bought pairs)."""
    negatives = torch.randint(UNKNOWN + 1, logits.shape[1], positives.shape, generator=generator)
    pos = logits[rows, positives]
    neg = logits[rows, negatives]
    return (F.softplus(-pos) + F.softplus(neg)).mean()
