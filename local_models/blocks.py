"""The Transformer block both local models use (forecaster and segmenter), nanoGPT-style."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """Pre-norm Transformer block: self-attention then a GELU MLP, each with a residual."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.dropout = dropout

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        """x (B, T, C); attend (B, 1, 1, T) True where a key may be attended to."""
        B, T, C = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)  # (B, nh, T, hs)
        attended = attended.transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        # Residual dropout only, and only in training: CPU dropout masks are surprisingly costly.
        x = x + F.dropout(self.proj(attended), self.dropout, self.training)
        return x + F.dropout(self.mlp(self.norm2(x)), self.dropout, self.training)  # (B, T, C)
