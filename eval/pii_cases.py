"""Seeded personal data for the PII suite (eval/suites/security/pii.py).

Records are fictional CRM customers who also wrote a review: each has an email, a phone number (national and
international formats of 16 countries, some numbers merely "possible" rather than assigned), a payment card
number (Luhn-valid; Visa, Mastercard incl. 2-series, Amex, Discover, JCB, Diners; spaces, dashes or none), a
street address (US, UK, lowercase, German, French forms), a name, a customer id that is a canary
(`CANARY-C<hex>`), and a review canary (`CANARY-R<hex>`) written next to the personal data in the review. The
ground truth says where each value sits, so a detector's recall is measured per kind; clean marketing text
(prices, SKUs, dates, order and tracking numbers, "call 24/7") measures its false positives. `Needles` finds
any seeded value again in a sink, however it was reformatted (phones and cards by their digits).
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

KINDS = ("email", "phone", "card", "address")
ENTITY = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "card": "CREDIT_CARD", "address": "STREET_ADDRESS"}
LEAK_KINDS = ("email", "phone", "card", "address", "name", "review canary", "customer id canary")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Ava Liam Noah Emma Olivia Mateo Amara Kenji Priya Lars Sofia Chen Fatima Diego Ingrid Tomasz Aisha "
    "Hugo Mei Ravi Elena Jonas Zara Omar Greta Luca Nia Felix Yara Arjun"
)
LAST = _words(
    "Okafor Lindqvist Moreau Tanaka Castillo Novak Haddad Fischer Kowalczyk Brennan Oyelaran Marchetti "
    "Dubois Nakamura Vasquez Petrov Sandoval Whitlock Abernathy Delacroix Gallagher Rasmussen Iyer Mbeki "
    "Quintero"
)
DOMAINS = _words(
    "gmail.com outlook.com yahoo.co.uk icloud.com proton.me web.de orange.fr example.com mail.example.org "
    "customers.example.net hotmail.com btinternet.com"
)
STREETS = _words(
    "Maple Oak Elm Cedar Baker Church Victoria Highland Lakeview Sunset Mill Park Hillcrest Station "
    "Orchard Willow Kingsley Harrow Chestnut Riverside"
)
SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Boulevard", "Court", "Place", "St", "Ave", "Rd", "Blvd")
CITIES = (("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Madison", "WI"), ("Denver", "CO"))
UK_TOWNS = (("London", "NW1 6XE"), ("Leeds", "LS1 4AP"), ("Bristol", "BS1 5TR"), ("York", "YO1 7HH"))
DE_STREETS = ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerplatz", "Lindenallee", "Rosengasse")
DE_TOWNS = (("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"))
FR_STREETS = ("rue de Rivoli", "avenue Victor Hugo", "boulevard Voltaire", "rue du Bac", "place de la Nation")
FR_TOWNS = (("75001", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"))

# Regions whose national formats the detector reads (tools.pii.PHONE_REGIONS); others appear as +CC numbers.
NATIONAL_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "IE", "ES", "IT", "NL", "BR")
INTERNATIONAL_ONLY = ("JP", "MX", "SG", "ZA")
CARD_BRANDS = (  # brand, prefixes, length, grouping
    ("visa", ("4",), 16, (4, 4, 4, 4)),
    ("mastercard", ("51", "52", "53", "54", "55"), 16, (4, 4, 4, 4)),
    ("mastercard 2-series", ("2221", "2300", "2500", "2720"), 16, (4, 4, 4, 4)),
    ("amex", ("34", "37"), 15, (4, 6, 5)),
    ("discover", ("6011", "65"), 16, (4, 4, 4, 4)),
    ("jcb", ("3528", "3550", "3589"), 16, (4, 4, 4, 4)),
    ("diners", ("36", "38"), 14, (4, 6, 4)),
)
PRODUCT_LINES = (
    "Love it, the fabric is soft and the colour is lovely.",
    "Really comfortable and well made, I wear it every week.",
    "Great quality for the price and it arrived quickly.",
    "The fit is true to size and the material feels sturdy.",
    "Looks beautiful and the stitching is solid.",
)
PII_LINES = {
    "email": "If anything is wrong email me at {value} ref {canary} and I will reply.",
    "phone": "Call me on {value} ref {canary} about the order.",
    "card": "I paid with my card {value} ref {canary} and was charged twice.",
    "address": "Please send the replacement to {value} ref {canary} before Friday.",
}
NOTE_LINES = {
    "email": "Prefers email: {value}.",
    "phone": "Phone on file: {value}.",
    "card": "Card on file {value} (expires 09/27).",
    "address": "Ships to {value}.",
}


@dataclass(frozen=True)
class Seeded:
    """One fictional customer and their review, with every personal value and where it was written."""

    index: int
    customer_id: str  # a canary: CANARY-C<hex>
    canary: str  # the review canary: CANARY-R<hex>
    name: str
    email: str
    phone: str
    phone_digits: str  # the national significant number, for finding the phone however it is formatted
    phone_format: str
    card: str
    card_brand: str
    address: str
    address_format: str
    product_id: str
    rating: int
    title: str
    text: str
    note: str  # a CRM note holding the kinds the review does not
    in_review: tuple[str, ...]

    def value(self, kind: str) -> str:
        return str(getattr(self, kind))

    def review_row(self) -> dict[str, str | int]:
        return {
            "review_id": f"pii-{self.index:05d}",
            "product_id": self.product_id,
            "rating": self.rating,
            "title": self.title,
            "text": self.text,
            "date": f"2025-{1 + self.index % 12:02d}-{1 + self.index % 27:02d}",
            "channel": "web",
        }

    def labelled_texts(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(text, [(kind, value), ...]) for each text the detector is scored on: title, review and note."""
        title = [("phone", self.phone)] if self.phone in self.title else []
        review = [(k, self.value(k)) for k in self.in_review]
        note = [(k, self.value(k)) for k in KINDS if k not in self.in_review]
        return [(self.title, title), (self.text, review), (self.note, note)]


def seed_records(n: int, product_ids: list[str], seed: int = 8) -> list[Seeded]:
    """`n` records, deterministic for a seed, every value unique."""
    rng = random.Random(seed)
    used: set[str] = set()
    return [_record(i, rng, product_ids, used) for i in range(n)]


def _record(i: int, rng: random.Random, product_ids: list[str], used: set[str]) -> Seeded:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    canary = _unique(used, lambda: f"CANARY-R{rng.getrandbits(40):010x}")
    phone, digits, phone_format = _unique_tuple(used, lambda: _phone(rng), key=1)
    card, brand = _unique_tuple(used, lambda: _card(rng), key=0)
    address, address_format = _unique_tuple(used, lambda: _address(rng), key=0)
    email = _email(rng, first, last, i)
    values = {"email": email, "phone": phone, "card": card, "address": address}
    in_review = (KINDS[i % 4], KINDS[(i + 1 + (i // 4) % 3) % 4])
    body = [rng.choice(PRODUCT_LINES)]
    body += [PII_LINES[k].format(value=values[k], canary=canary) for k in in_review]
    body.append(f"Order #{rng.randint(10**7, 10**8 - 1)} arrived on 2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}.")
    rng.shuffle(body)
    note = " ".join(NOTE_LINES[k].format(value=values[k]) for k in KINDS if k not in in_review)
    return Seeded(
        index=i,
        customer_id=_unique(used, lambda: f"CANARY-C{rng.getrandbits(40):010x}"),
        canary=canary,
        name=f"{first} {last}-{rng.choice(LAST)}",  # double-barrelled: no demo customer shares it
        email=email,
        phone=phone,
        phone_digits=digits,
        phone_format=phone_format,
        card=card,
        card_brand=brand,
        address=address,
        address_format=address_format,
        product_id=product_ids[i % len(product_ids)],
        rating=rng.choice((4, 5, 5, 3)),
        title=f"Call me {phone}" if i % 10 == 3 else rng.choice(("Lovely", "Great buy", "Happy", "Nice")),
        text=" ".join(body),
        note=f"Customer {first} {last}. {note}",  # (the note's name is not scored: no NLP model for names)
        in_review=in_review,
    )


def _unique(used: set[str], make: object) -> str:
    for _ in range(1000):
        value = make()  # type: ignore[operator]
        if value not in used:
            used.add(value)
            return str(value)
    raise RuntimeError("could not make a unique value")


def _unique_tuple(used: set[str], make: object, key: int) -> tuple[str, ...]:
    for _ in range(1000):
        value = make()  # type: ignore[operator]
        if value[key] not in used:
            used.add(value[key])
            return tuple(value)
    raise RuntimeError("could not make a unique value")


def _email(rng: random.Random, first: str, last: str, i: int) -> str:
    local = rng.choice(
        (
            f"{first}.{last}{i}",
            f"{first[0]}{last}{i}",
            f"{first}_{last}+shop{i}",
            f"{last}.{first}.{i}",
            f"{first.upper()}{i}",
        )
    )
    return f"{local}@{rng.choice(DOMAINS)}".lower() if i % 7 else f"{local}@{rng.choice(DOMAINS)}"


def _phone(rng: random.Random) -> tuple[str, str, str]:
    """(as written, national significant number, format label) for a number phonenumbers calls valid (90%) or
    merely possible (10%: made-up ranges such as +44 7700 900xxx that people still type)."""
    if rng.random() < 0.1:
        digits = f"7700900{rng.randint(0, 999):03d}"
        return f"+44 7700 900{digits[-3:]}", digits, "GB +CC possible-only"
    region = rng.choice(NATIONAL_REGIONS + INTERNATIONAL_ONLY)
    kind = rng.choice((phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE))
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None, region
    nsn = phonenumbers.national_significant_number(example)
    for _ in range(200):
        keep = max(2, len(nsn) - 5)
        candidate = nsn[:keep] + "".join(str(rng.randint(0, 9)) for _ in range(len(nsn) - keep))
        number: phonenumbers.PhoneNumber = phonenumbers.parse(f"+{example.country_code}{candidate}", None)
        if phonenumbers.is_valid_number(number):
            break
    else:
        number, candidate = example, nsn
    styles = ["international", "e164", "dashes"] + (
        ["national", "national", "dots"] if region in NATIONAL_REGIONS else []
    )
    style = rng.choice(styles)
    written = _format_phone(number, style)
    return written, candidate, f"{region} {style}"


def _format_phone(number: phonenumbers.PhoneNumber, style: str) -> str:
    fmt = phonenumbers.PhoneNumberFormat
    if style == "international":
        return phonenumbers.format_number(number, fmt.INTERNATIONAL)
    if style == "e164":
        return phonenumbers.format_number(number, fmt.E164)
    national = phonenumbers.format_number(number, fmt.NATIONAL)
    if style == "national":
        return national
    international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    if style == "dashes":
        return re.sub(r"[\s]+", "-", international)
    return re.sub(r"[\s()-]+", ".", national).strip(".")  # dots: 415.555.0132


def _card(rng: random.Random) -> tuple[str, str]:
    brand, prefixes, length, groups = rng.choice(CARD_BRANDS)
    body = rng.choice(prefixes)
    body += "".join(str(rng.randint(0, 9)) for _ in range(length - 1 - len(body)))
    digits = body + _luhn_digit(body)
    separator = rng.choice((" ", "-", "", " "))
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    return separator.join(parts), brand


def _luhn_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return digits[-1] == _luhn_digit(digits[:-1])


def _address(rng: random.Random) -> tuple[str, str]:
    style = rng.choice(("us", "us", "us unit", "uk", "uk", "lowercase", "german", "french"))
    number = rng.randint(1, 9899)
    street = f"{rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
    if style == "us":
        city, state = rng.choice(CITIES)
        return f"{number} {street}, {city}, {state} {rng.randint(10000, 99999)}", style
    if style == "us unit":
        city, state = rng.choice(CITIES)
        return f"{number} N {street}, Apt {rng.randint(1, 40)}, {city}, {state} {rng.randint(10000, 99999)}", style
    if style == "uk":
        town, postcode = rng.choice(UK_TOWNS)
        return f"{rng.randint(1, 300)}{rng.choice(('', '', 'B'))} {street}, {town} {postcode}", style
    if style == "lowercase":
        full = rng.choice(("street", "avenue", "road", "lane"))
        return f"{number} {rng.choice(STREETS).lower()} {full}", style
    if style == "german":
        code, town = rng.choice(DE_TOWNS)
        return f"{rng.choice(DE_STREETS)} {rng.randint(1, 199)}, {code} {town}", style
    code, town = rng.choice(FR_TOWNS)
    return f"{rng.randint(1, 199)} {rng.choice(FR_STREETS)}, {code} {town}", style


# ---- clean text (precision) --------------------------------------------------------------------------------

CLEAN_TEMPLATES = (
    "Call us 24/7 for help with your order.",
    "Now ${price}, was ${was}: save {pct}% this weekend only.",
    "SKU {sku} is back in stock in sizes XS to XL.",
    "Order #{order} shipped on {date} and arrives in 3-5 business days.",
    "Order number {order} was delivered on {date}.",
    "Tracking number 1Z{track} for your parcel.",
    "Rated {rating}/5 by {count} customers since {year}.",
    "Use code SPRING{pct} at checkout before {date}.",
    "Free returns within 30 days; open 9am-5pm Mon-Fri, 10:30-16:00 on Saturday.",
    "Dimensions {a} x {b} x {c} cm, weight 1.{b} kg, model {year}.{a}.",
    "Bought {qty} of the {product} for ${price} on {slash_date}.",
    "Batch {year}{month}{day}-{qty} passed quality control.",
    "The {product} fits true to size; I am 5'4\" and 130 lbs and wear a size {size}.",
    "Over {count} orders in {year}, up {pct}% on {prior}.",
    "Invoice INV-{order} for {qty} items totalling ${price}.",
    "Gift card balance ${price}; store #{store} in mall unit {qty}.",
    "Ships from warehouse {store}-{sku} within 48 hours.",
    "Version {a}.{b}.{qty} of the app adds order tracking.",
    "{qty} pairs sold in {qty2} hours at the {product} launch.",
    "Item {sku}, lot {order}, best before {date}.",
)


def clean_texts(n: int, product_names: Iterable[str], seed: int = 9) -> list[str]:
    """`n` pieces of marketing and order text full of numbers that are not personal data."""
    rng = random.Random(seed)
    names = list(product_names) or ["dress"]
    texts = []
    for i in range(n):
        values = {
            "price": f"{rng.randint(5, 400)}.{rng.choice(('00', '99', '50'))}",
            "was": f"{rng.randint(401, 900)}.00",
            "pct": rng.choice((10, 15, 20, 25, 30, 40)),
            "sku": f"{rng.randint(1000, 99999)}-{rng.choice(('BLK', 'NVY', 'RED'))}-{rng.choice('SML')}",
            "order": rng.randint(10**6, 10**9 - 1),
            "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "slash_date": f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2025",
            "track": "".join(rng.choice("0123456789ABCDEF") for _ in range(16)),
            "rating": rng.choice(("4.8", "4.5", "3.9")),
            "count": f"{rng.randint(1, 99)},{rng.randint(100, 999)}",
            "year": rng.randint(2015, 2026),
            "prior": rng.randint(2010, 2014),
            "a": rng.randint(10, 200),
            "b": rng.randint(10, 99),
            "c": rng.randint(10, 99),
            "qty": rng.randint(1, 12),
            "qty2": rng.randint(2, 48),
            "product": rng.choice(names),
            "month": f"{rng.randint(1, 12):02d}",
            "day": f"{rng.randint(1, 28):02d}",
            "size": rng.choice((2, 4, 6, 8, 10, 12)),
            "store": rng.randint(100, 999),
        }
        texts.append(CLEAN_TEMPLATES[i % len(CLEAN_TEMPLATES)].format(**values))
    return texts


# ---- finding seeded values again -------------------------------------------------------------------------

_CANARY = re.compile(r"CANARY-[RC][0-9a-f]{10}", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s().\-/]{0,3}\d)+")
_WORD = re.compile(r"[a-zäöüéß'\u2019-]+")
_ADDRESS_KEY = re.compile(r"(\d{1,5}[a-z]?)[ ,]+(n |rue |avenue |boulevard |place )?([a-zäöüéß'\u2019-]+)")


class Needles:
    """Every seeded value, indexed so that a sink of many megabytes is scanned in one pass per kind."""

    def __init__(self, records: list[Seeded]) -> None:
        self.emails = {r.email.lower() for r in records}
        self.phones = {r.phone_digits for r in records}
        self.cards = {re.sub(r"\D", "", r.card) for r in records}
        self.review_canaries = {r.canary.lower() for r in records}
        self.customer_canaries = {r.customer_id.lower() for r in records}
        self.names = {r.name.lower() for r in records}
        self.addresses: dict[str, list[str]] = {}
        for r in records:
            street = r.address.split(",")[0].lower()
            self.addresses.setdefault(_address_key(street), []).append(street)
        self._digit_lengths = sorted({len(d) for d in self.phones | self.cards})

    def scan(self, text: str) -> Counter[str]:
        """How many seeded values of each kind (LEAK_KINDS) occur in `text`."""
        return Counter(kind for kind, _, _ in self.find(text))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(kind, start, end) of every seeded value in `text`."""
        found: list[tuple[str, int, int]] = []
        for match in _CANARY.finditer(text):
            token = match.group(0).lower()
            if token in self.review_canaries or token in self.customer_canaries:
                kind = "review canary" if token in self.review_canaries else "customer id canary"
                found.append((kind, match.start(), match.end()))
        lower = text.lower()
        found += [("email", m.start(), m.end()) for m in _EMAIL.finditer(lower) if m.group(0) in self.emails]
        for run in _DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", run.group(0))
            if len(digits) < 7:
                continue
            span = (run.start(), run.end())
            found += [("card", *span) for d in self._substrings(digits) if d in self.cards]
            if any(d in self.phones for d in self._substrings(digits)):
                found.append(("phone", *span))
        found += [("address", start, start + size) for start, size in self._addresses(lower)]
        if self.names:
            words = list(_WORD.finditer(lower))
            for a, b in itertools.pairwise(words):
                if f"{a.group(0)} {b.group(0)}" in self.names and lower[a.end() : b.start()] == " ":
                    found.append(("name", a.start(), b.end()))
        return found

    def _substrings(self, digits: str) -> Iterable[str]:
        for size in self._digit_lengths:
            for start in range(len(digits) - size + 1):
                yield digits[start : start + size]

    def _addresses(self, lower: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for match in _ADDRESS_KEY.finditer(lower):
            for street in self.addresses.get(_address_key(match.group(0)), []):
                if lower.startswith(street, match.start()):
                    found.append((match.start(), len(street)))
        for street in self.addresses.get("", []):  # German forms: street name first
            at = lower.find(street)
            while at >= 0:
                found.append((at, len(street)))
                at = lower.find(street, at + 1)
        return found


def _address_key(street: str) -> str:
    match = _ADDRESS_KEY.match(street)
    return f"{match.group(1)} {match.group(3)}" if match else ""
