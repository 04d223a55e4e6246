"""The demo store's brand rules: voice, words and claims to avoid, required disclaimers."""

from __future__ import annotations

from pathlib import Path

import yaml

BRAND: dict[str, object] = {
    "name": "Northwind Outfitters",
    "voice": (
        "Warm, plain-spoken and practical, like a friend who works in the shop. "
        "We lead with what the product does for you and back it with concrete facts "
        "(materials, battery hours, sizes) instead of superlatives. "
        "We are honest about trade-offs and never pressure anyone into buying."
    ),
    "audience": (
        "Busy adults aged 25-45 who buy clothing, shoes, audio gear, homeware and skincare "
        "online and in our stores; they value quality and good service over hype and "
        "compare prices before they buy."
    ),
    "tone_words": ["warm", "practical", "honest", "upbeat", "concise"],
    "banned_words": [
        "cheap",
        "guaranteed",
        "miracle",
        "risk-free",
        "act now",
        "once in a lifetime",
        "cure",
        "flawless",
    ],
    "banned_claims": [
        "best in the world",
        "clinically proven",
        "100% waterproof",
        "lasts forever",
        "doctor recommended",
        "results guaranteed",
        "lowest price anywhere",
    ],
    "required_disclaimers": {
        "sms": ["Reply STOP to opt out."],
        "email": [
            (
                "You are receiving this email because you subscribed at northwind.example. "
                "Unsubscribe any time at https://northwind.example/unsubscribe."
            ),
        ],
        "social": [],
        "web": [],
    },
    "url_allowlist": [
        "northwind.example",
        "shop.northwind.example",
        "help.northwind.example",
    ],
}


def write_brand(path: Path) -> None:
    text = yaml.safe_dump(BRAND, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
