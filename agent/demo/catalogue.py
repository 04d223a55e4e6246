"""The demo store's product range, plus the hidden per-aspect quality that drives reviews.

The range itself is fixed so demos can tell the same stories on every seed ("the Aurora
dress runs small", "the Nimbus headphones never reach their 30 hours"); the seed only
moves launch dates, popularity and the quality of the aspects that are not planted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

CATEGORY_ASPECTS: dict[str, tuple[str, ...]] = {
    "Apparel": ("fit", "quality", "comfort", "style", "price", "shipping"),
    "Footwear": ("fit", "comfort", "durability", "quality", "price", "shipping"),
    "Electronics": ("battery", "sound", "quality", "ease_of_use", "price", "shipping"),
    "Home": ("quality", "ease_of_use", "design", "price", "shipping"),
    "Beauty": ("scent", "skin_feel", "packaging", "price", "shipping"),
}

T = TypeVar("T")

CATALOGUE_COLUMNS = (
    "product_id",
    "name",
    "category",
    "subcategory",
    "price",
    "launch_date",
    "description",
)


@dataclass(frozen=True)
class ProductSpec:
    """A hand-written catalogue entry; `planted` and `quirks` are the stories reviews tell."""

    product_id: str
    name: str
    noun: str
    category: str
    subcategory: str
    price: float
    description: str
    plural: bool = False
    planted: Mapping[str, float] = field(default_factory=dict)
    quirks: Mapping[str, str] = field(default_factory=dict)
    hero: bool = False


@dataclass(frozen=True)
class Product:
    """A product as the simulation sees it, including what the catalogue never shows."""

    spec: ProductSpec
    launch_date: date
    popularity: float
    aspect_quality: Mapping[str, float]

    @property
    def product_id(self) -> str:
        return self.spec.product_id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def category(self) -> str:
        return self.spec.category

    @property
    def price(self) -> float:
        return self.spec.price


PRODUCT_RANGE: tuple[ProductSpec, ...] = (
    # Apparel
    ProductSpec(
        product_id="1001",
        name="Aurora Linen Midi Dress",
        noun="dress",
        category="Apparel",
        subcategory="Dresses",
        price=89.00,
        description=("Midi dress cut from 100% European linen with a relaxed A-line skirt, offered in sizes XS to XL."),
        planted={"fit": -0.7, "style": 0.8},
        quirks={"fit": "runs_small"},
        hero=True,
    ),
    ProductSpec(
        product_id="1002",
        name="Harbor Organic Crew Tee",
        noun="tee",
        category="Apparel",
        subcategory="Tops",
        price=24.00,
        description="Regular-fit crew-neck tee in 180 gsm organic cotton jersey.",
    ),
    ProductSpec(
        product_id="1003",
        name="Solstice Wrap Blouse",
        noun="blouse",
        category="Apparel",
        subcategory="Tops",
        price=54.00,
        description="Wrap blouse in lightweight viscose crepe with a self-tie waist.",
    ),
    ProductSpec(
        product_id="1004",
        name="Fjord Merino Crewneck Sweater",
        noun="sweater",
        category="Apparel",
        subcategory="Knitwear",
        price=119.00,
        description="Crewneck sweater knitted from 100% extra-fine 18.5-micron merino wool.",
        planted={"quality": -0.55, "comfort": 0.7},
        quirks={"quality": "pilling"},
    ),
    ProductSpec(
        product_id="1005",
        name="Ridgeline Packable Rain Shell",
        noun="jacket",
        category="Apparel",
        subcategory="Outerwear",
        price=149.00,
        description=(
            "Water-resistant rain shell with a 2.5-layer recycled nylon face, taped seams and an adjustable hood."
        ),
    ),
    ProductSpec(
        product_id="1006",
        name="Meadow Relaxed Chinos",
        noun="chinos",
        category="Apparel",
        subcategory="Bottoms",
        price=69.00,
        description="Relaxed-fit chinos in stretch cotton twill with a 30-inch inseam.",
        plural=True,
    ),
    ProductSpec(
        product_id="1007",
        name="Cascade Recycled Down Vest",
        noun="vest",
        category="Apparel",
        subcategory="Outerwear",
        price=98.00,
        description="Lightweight vest insulated with 600-fill recycled down and a DWR finish.",
    ),
    ProductSpec(
        product_id="1008",
        name="Driftwood Denim Jacket",
        noun="jacket",
        category="Apparel",
        subcategory="Outerwear",
        price=110.00,
        description="Trucker jacket in 12 oz rigid cotton denim with copper-tone buttons.",
    ),
    # Footwear
    ProductSpec(
        product_id="1009",
        name="Trailblazer Running Sneakers",
        noun="sneakers",
        category="Footwear",
        subcategory="Sneakers",
        price=129.00,
        description="Road running sneakers with a recycled mesh upper, EVA midsole and 8 mm drop.",
        plural=True,
        planted={"comfort": 0.8},
        hero=True,
    ),
    ProductSpec(
        product_id="1010",
        name="Cobblestone Leather Chelsea Boots",
        noun="boots",
        category="Footwear",
        subcategory="Boots",
        price=179.00,
        description=("Chelsea boots in full-grain leather with elastic side panels and a cemented rubber sole."),
        plural=True,
        planted={"durability": -0.6, "quality": 0.6},
        quirks={"durability": "sole_separates"},
    ),
    ProductSpec(
        product_id="1011",
        name="Tidepool Slide Sandals",
        noun="sandals",
        category="Footwear",
        subcategory="Sandals",
        price=39.00,
        description="Slide sandals with a contoured EVA footbed and quick-dry straps.",
        plural=True,
    ),
    ProductSpec(
        product_id="1012",
        name="Summit Trail Hiking Boots",
        noun="boots",
        category="Footwear",
        subcategory="Boots",
        price=165.00,
        description="Mid-height hiking boots with a water-resistant suede upper and Vibram outsole.",
        plural=True,
    ),
    ProductSpec(
        product_id="1013",
        name="Courtside Canvas Low-Tops",
        noun="sneakers",
        category="Footwear",
        subcategory="Sneakers",
        price=65.00,
        description="Low-top sneakers in 10 oz cotton canvas with a vulcanized rubber sole.",
        plural=True,
    ),
    ProductSpec(
        product_id="1014",
        name="Willow Leather Ballet Flats",
        noun="flats",
        category="Footwear",
        subcategory="Flats",
        price=75.00,
        description="Ballet flats in soft nappa leather with a cushioned memory-foam insole.",
        plural=True,
    ),
    ProductSpec(
        product_id="1015",
        name="Ember Wool Slippers",
        noun="slippers",
        category="Footwear",
        subcategory="Slippers",
        price=49.00,
        description="Boiled-wool slippers with a shearling-lined footbed and suede sole.",
        plural=True,
    ),
    ProductSpec(
        product_id="1016",
        name="Pacer Knit Walking Shoes",
        noun="shoes",
        category="Footwear",
        subcategory="Sneakers",
        price=95.00,
        description="Walking shoes with a one-piece knit upper and a removable cushioned insole.",
        plural=True,
    ),
    # Electronics
    ProductSpec(
        product_id="1017",
        name="Nimbus Wireless Headphones",
        noun="headphones",
        category="Electronics",
        subcategory="Headphones",
        price=199.00,
        description=(
            "Over-ear Bluetooth 5.3 headphones with active noise cancellation and up to 30 hours of rated battery life."
        ),
        plural=True,
        planted={"battery": -0.7, "sound": 0.75},
        quirks={"battery": "short_battery"},
        hero=True,
    ),
    ProductSpec(
        product_id="1018",
        name="Pulse Sport Earbuds",
        noun="earbuds",
        category="Electronics",
        subcategory="Earbuds",
        price=79.00,
        description=("IPX4 sweat-resistant true wireless earbuds with 6 hours of playback plus 18 from the case."),
        plural=True,
    ),
    ProductSpec(
        product_id="1019",
        name="Pebble Mini Bluetooth Speaker",
        noun="speaker",
        category="Electronics",
        subcategory="Speakers",
        price=49.00,
        description="Palm-sized IP67 Bluetooth speaker with 12 hours of battery life.",
    ),
    ProductSpec(
        product_id="1020",
        name="Boomcrate Party Speaker",
        noun="speaker",
        category="Electronics",
        subcategory="Speakers",
        price=229.00,
        description=("40 W portable party speaker with 18 hours of battery life and a built-in carry handle."),
        planted={"shipping": -0.65},
        quirks={"shipping": "late_delivery"},
    ),
    ProductSpec(
        product_id="1021",
        name="Quill Noise-Cancelling Earbuds",
        noun="earbuds",
        category="Electronics",
        subcategory="Earbuds",
        price=149.00,
        description="Noise-cancelling earbuds with 8 hours of playback and wireless charging case.",
        plural=True,
    ),
    ProductSpec(
        product_id="1022",
        name="Lumen Kids Headphones",
        noun="headphones",
        category="Electronics",
        subcategory="Headphones",
        price=39.00,
        description="On-ear kids' headphones limited to 85 dB with 20 hours of battery life.",
        plural=True,
    ),
    ProductSpec(
        product_id="1023",
        name="Shoreline Shower Speaker",
        noun="speaker",
        category="Electronics",
        subcategory="Speakers",
        price=35.00,
        description="Waterproof-rated (IPX7) suction-cup shower speaker with 10 hours of playback.",
    ),
    ProductSpec(
        product_id="1024",
        name="Arc Open-Ear Headphones",
        noun="headphones",
        category="Electronics",
        subcategory="Headphones",
        price=119.00,
        description="Bone-conduction open-ear headphones with 8 hours of battery life.",
        plural=True,
    ),
    # Home
    ProductSpec(
        product_id="1025",
        name="Copperline Gooseneck Kettle",
        noun="kettle",
        category="Home",
        subcategory="Kitchen",
        price=89.00,
        description="1.0-liter electric gooseneck kettle with temperature control from 40 to 100 °C.",
    ),
    ProductSpec(
        product_id="1026",
        name="Hearth Cast-Iron Skillet",
        noun="skillet",
        category="Home",
        subcategory="Kitchen",
        price=45.00,
        description="Pre-seasoned 10-inch cast-iron skillet with a helper handle.",
    ),
    ProductSpec(
        product_id="1027",
        name="Brewhouse French Press",
        noun="French press",
        category="Home",
        subcategory="Kitchen",
        price=34.00,
        description="1-liter French press with a borosilicate glass carafe and steel mesh filter.",
    ),
    ProductSpec(
        product_id="1028",
        name="Keystone Chef's Knife",
        noun="knife",
        category="Home",
        subcategory="Kitchen",
        price=79.00,
        description="8-inch chef's knife forged from German X50CrMoV15 stainless steel.",
        planted={"quality": 0.85},
    ),
    ProductSpec(
        product_id="1029",
        name="Haven Linen Duvet Cover Set",
        noun="duvet set",
        category="Home",
        subcategory="Bedding",
        price=159.00,
        description="Stonewashed 100% linen duvet cover with two matching pillowcases.",
        planted={"design": 0.85},
        hero=True,
    ),
    ProductSpec(
        product_id="1030",
        name="Woolly Herringbone Throw",
        noun="throw",
        category="Home",
        subcategory="Bedding",
        price=69.00,
        description="130 x 170 cm herringbone throw woven from lambswool.",
    ),
    ProductSpec(
        product_id="1031",
        name="Lantern Ceramic Table Lamp",
        noun="lamp",
        category="Home",
        subcategory="Decor",
        price=99.00,
        description="Hand-glazed ceramic table lamp with a linen shade and an E26 bulb socket.",
        planted={"shipping": -0.55, "design": 0.7},
        quirks={"shipping": "arrived_damaged"},
    ),
    ProductSpec(
        product_id="1032",
        name="Nest Woven Storage Baskets",
        noun="baskets",
        category="Home",
        subcategory="Decor",
        price=42.00,
        description="Set of three seagrass storage baskets in nesting sizes.",
        plural=True,
    ),
    # Beauty
    ProductSpec(
        product_id="1033",
        name="Dewdrop Hydrating Face Cream",
        noun="face cream",
        category="Beauty",
        subcategory="Skincare",
        price=38.00,
        description="50 ml face cream with hyaluronic acid and squalane.",
        planted={"skin_feel": 0.8},
        hero=True,
    ),
    ProductSpec(
        product_id="1034",
        name="Radiance Vitamin C Serum",
        noun="serum",
        category="Beauty",
        subcategory="Skincare",
        price=46.00,
        description="30 ml serum with 15% vitamin C and ferulic acid in an amber dropper bottle.",
    ),
    ProductSpec(
        product_id="1035",
        name="Cloud Gel Cleanser",
        noun="cleanser",
        category="Beauty",
        subcategory="Skincare",
        price=24.00,
        description="150 ml low-foam gel cleanser with aloe and glycerin.",
    ),
    ProductSpec(
        product_id="1036",
        name="Bright Eyes Caffeine Eye Cream",
        noun="eye cream",
        category="Beauty",
        subcategory="Skincare",
        price=32.00,
        description="15 ml eye cream with 5% caffeine and niacinamide.",
    ),
    ProductSpec(
        product_id="1037",
        name="Wild Fig Body Lotion",
        noun="lotion",
        category="Beauty",
        subcategory="Bodycare",
        price=28.00,
        description="250 ml body lotion with shea butter and a fig-leaf fragrance.",
        planted={"scent": -0.6, "skin_feel": 0.6},
        quirks={"scent": "overpowering_scent"},
    ),
    ProductSpec(
        product_id="1038",
        name="Oat Milk Hand Cream",
        noun="hand cream",
        category="Beauty",
        subcategory="Bodycare",
        price=16.00,
        description="75 ml hand cream with colloidal oat and ceramides.",
    ),
    ProductSpec(
        product_id="1039",
        name="Golden Hour Body Oil",
        noun="body oil",
        category="Beauty",
        subcategory="Bodycare",
        price=42.00,
        description="100 ml dry body oil with jojoba and sweet almond oils in a pump bottle.",
        planted={"packaging": -0.6, "scent": 0.7},
        quirks={"packaging": "leaky_pump"},
    ),
    ProductSpec(
        product_id="1040",
        name="Sea Salt Body Wash",
        noun="body wash",
        category="Beauty",
        subcategory="Bodycare",
        price=19.00,
        description="400 ml sulfate-free body wash with sea minerals.",
    ),
)


def weighted_choice(options: Sequence[T], weights: Sequence[float], rng: np.random.Generator) -> T:
    """One option drawn by weight; the simulators call this in hot loops where the
    overhead of `Generator.choice(p=...)` (it validates p every call) dominates."""
    roll = rng.random() * sum(weights)
    for option, weight in zip(options, weights, strict=True):
        roll -= weight
        if roll < 0:
            return option
    return options[-1]


def _launch_date(spec: ProductSpec, window_start: date, end_date: date, rng: np.random.Generator) -> date:
    # Products with a planted story launch before the window so every seed has enough
    # reviews and sales to tell it; about a third of the rest launch mid-window, which
    # gives forecasting series of different lengths.
    span = (end_date - window_start).days
    mid_window = rng.random() < 0.3 and span >= 30 * 7
    if spec.hero or spec.quirks or not mid_window:
        return window_start - timedelta(days=int(rng.integers(30, 900)))
    earliest, latest = 4 * 7, span - 20 * 7
    return window_start + timedelta(days=int(rng.integers(earliest, latest)))


def _aspect_quality(spec: ProductSpec, rng: np.random.Generator) -> dict[str, float]:
    # Unplanted aspects are "mostly fine" so the planted flaws stand out as the worst.
    quality: dict[str, float] = {}
    for aspect in CATEGORY_ASPECTS[spec.category]:
        if aspect in spec.planted:
            value = spec.planted[aspect] + rng.normal(0.0, 0.03)
        else:
            value = float(np.clip(rng.normal(0.45, 0.25), -0.1, 0.9))
        quality[aspect] = round(float(np.clip(value, -1.0, 1.0)), 3)
    return quality


def build_catalogue(window_start: date, end_date: date, rng: np.random.Generator) -> list[Product]:
    products = []
    for spec in PRODUCT_RANGE:
        launch = _launch_date(spec, window_start, end_date, rng)
        # Log-normal popularity gives a long tail: a few products get hundreds of reviews,
        # others a few dozen; heroes are boosted so the demo stories have volume.
        popularity = float(rng.lognormal(0.0, 0.6)) * (2.5 if spec.hero else 1.0)
        products.append(Product(spec, launch, round(popularity, 4), _aspect_quality(spec, rng)))
    return products


def catalogue_frame(products: list[Product]) -> pd.DataFrame:
    rows = [
        {
            "product_id": p.product_id,
            "name": p.name,
            "category": p.category,
            "subcategory": p.spec.subcategory,
            "price": f"{p.price:.2f}",
            "launch_date": p.launch_date.isoformat(),
            "description": p.spec.description,
        }
        for p in products
    ]
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))


def product_aspects_frame(products: list[Product]) -> pd.DataFrame:
    rows = [
        {"product_id": p.product_id, "aspect": aspect, "mean_sentiment": f"{score:.3f}"}
        for p in products
        for aspect, score in p.aspect_quality.items()
    ]
    return pd.DataFrame(rows, columns=["product_id", "aspect", "mean_sentiment"])
