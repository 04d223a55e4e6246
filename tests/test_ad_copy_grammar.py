"""Ad copy agrees in number with the product's name: "its" for a dress, "their" for boots (issue 21)."""

from __future__ import annotations

import pytest

from tools.ad_copy.grammar import head_noun, plural_name, possessive


@pytest.mark.parametrize(
    ("name", "plural"),
    [
        ("Cobblestone Leather Chelsea Boots", True),
        ("Pulse Sport Earbuds", True),
        ("Meadow Relaxed Chinos", True),
        ("Courtside Canvas Low-Tops", True),
        ("Kitchen Knives", True),  # irregular plural
        ("Tailored Wool Trousers", True),  # plural only
        ("Aurora Linen Midi Dress", False),
        ("Keystone Chef's Knife", False),
        ("Sea Salt Body Wash", False),
        ("Prime Camera Lens", False),  # ends like a plural
        ("Waxed Canvas", False),
        ("Set of 3 Mugs", False),  # the head noun is "Set"
        ("Harbor Crew Tee (2-pack)", False),
        ("", False),
    ],
)
def test_the_number_of_a_name_is_its_head_noun(name: str, plural: bool) -> None:
    assert plural_name(name) is plural
    assert possessive(name) == ("their" if plural else "its")


def test_the_head_noun_comes_before_a_qualifier() -> None:
    assert head_noun("Set of 3 Mugs") == "Set"
    assert head_noun("Shampoo for Dogs") == "Shampoo"
    assert head_noun("Trail Socks - 3 Pairs") == "Socks"


@pytest.mark.parametrize("channel", ["google_search", "meta_feed", "email", "sms"])
def test_templates_say_their_for_a_plural_product_and_its_for_a_singular_one(demo_store, channel: str) -> None:
    from test_ad_copy_sense import writer_for
    from tools.ad_copy.text import CHANNEL_FIELDS

    kinds = {kind for _, kind in CHANNEL_FIELDS[channel].values()} - {"name", "fixed"}
    boots = writer_for("Cobblestone Leather Chelsea Boots", channel, demo_store.workspace)
    dress = writer_for("Aurora Linen Midi Dress", channel, demo_store.workspace)
    boots_texts = " | ".join(t for kind in kinds for t in boots._template_texts(kind))
    dress_texts = " | ".join(t for kind in kinds for t in dress._template_texts(kind))
    assert " its " not in f" {boots_texts.lower()} ", boots_texts
    if "loved for" in dress_texts.lower():
        assert "loved for its" in dress_texts.lower(), dress_texts
        assert "loved for their" in boots_texts.lower(), boots_texts
