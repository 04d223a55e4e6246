"""Finding the products a request names, against the workspace's catalogue (`data/catalogue.csv`).

Marketers name products loosely: "the Aurora dress", "nimbus hedphones", "product 1033", "our speakers". Each
word of a product name is evidence in proportion to how few products share it ("aurora" points at one product,
"headphones" at three); ordinary English words in names ("bright", "golden") count half unless typed with a
capital; neighbouring matched words add confidence. A word that names a sub-category ("speakers") or category
("footwear") points at the whole group. Names that look like products but match nothing ("the Zephyr jacket",
"product 2077") are reported as unknown with the closest products, so the router can ask instead of guessing.

Product ids of any shape are found as typed, in any case: "1078", "SKU-4471-BL", "sku-4471-bl", "AB.12/7" (an id
typed as one word, its parts joined by "-", ".", "/", "_", ":" or "#"; a one-word alphabetic id such as "CHAIR" only
in its own case, so the word "chair" stays a word). A code shaped like the catalogue's ids that is none of them
("SKU-9999-XX") is unknown, with the closest ids as suggestions. A number typed as an amount ("4+ stars", "4 and 5
star", "2-star", "8 weeks") is no id, even where the catalogue has product "4"; "product 4" and "#4" are.
"""

from __future__ import annotations

import csv
import difflib
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.router.lexicon import Lexicon
from agent.router.product_ids import IdForm, code_runs, code_shape, continues_as_code
from agent.router.text import Token, Vocabulary, stem

ACCEPT = 0.9  # evidence needed to name one product
ID_WORDS = frozenset({"product", "item", "sku", "id", "article", "style", "number"})  # words that introduce an id
NEIGHBOUR_BONUS = 0.5


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    subcategory: str
    price: float | None
    name_zh: str = ""  # the Chinese name, when the catalogue has one ("Aurora 亚麻中长连衣裙")


@dataclass
class ProductMention:
    """What a piece of a request says about products."""

    products: list[str] = field(default_factory=list)  # ids named specifically, in the order typed
    candidates: list[str] = field(default_factory=list)  # a group word fits these ("the earbuds")
    group: str | None = None  # the sub-category that group is, as typed in the catalogue
    category: str | None = None  # a top-level category named ("footwear")
    unknown: list[str] = field(default_factory=list)  # product-like names or ids not in the catalogue
    suggestions: list[str] = field(default_factory=list)  # closest catalogue ids for the unknown names
    claimed: set[int] = field(default_factory=set)  # token positions used by product names

    @property
    def any(self) -> bool:
        return bool(self.products or self.candidates or self.category or self.unknown)


class Catalogue:
    """The workspace's products, indexed for matching names typed in requests."""

    def __init__(self, products: Sequence[Product], lexicon: Lexicon) -> None:
        self.products = {p.product_id: p for p in products}
        self.lexicon = lexicon
        self._by_word: dict[str, set[str]] = defaultdict(set)
        self._brand: dict[str, str] = {}
        self._order: dict[str, list[str]] = {}
        for product in products:
            words = self._name_words(product.name)
            self._order[product.product_id] = words
            self._brand[product.product_id] = words[0] if words else ""
            for word in words:
                self._by_word[word].add(product.product_id)
        self.subcategories = _groups(products, lambda p: p.subcategory)
        self.categories = _groups(products, lambda p: p.category)
        self.category_names = {
            form: p.category for p in products for form in (p.category.lower(), stem(p.category.lower()))
        }
        self.name_words = frozenset(self._by_word)
        self._kinds = frozenset(stem(k) for k in lexicon.product_kinds)
        self._spellings: dict[str, str] = {}
        self._ids: dict[str, list[IdForm]] = defaultdict(list)  # first word -> ids starting with it
        for form in filter(None, (IdForm.of(p.product_id) for p in products)):
            self._ids[form.parts[0]].append(form)
        for forms in self._ids.values():
            forms.sort(key=lambda f: -len(f.parts))  # the longest id wins ("SKU-1-BL" over "SKU-1")
        self._code_shapes = {f.shape for forms in self._ids.values() for f in forms if len(f.parts) > 1}

    @classmethod
    def load(cls, path: Path, lexicon: Lexicon) -> Catalogue:
        """The catalogue CSV (product_id, name; optional category, subcategory, price); empty when absent."""
        if not path.is_file():
            return cls([], lexicon)
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return cls([_product(row) for row in rows if row.get("product_id") and row.get("name")], lexicon)

    def _name_words(self, name: str) -> list[str]:
        words = [stem(w) for w in _words(name.lower())]
        return [w for w in words if w not in self.lexicon.stop_words and len(w) > 1]

    def label(self, product_id: str) -> str:
        product = self.products.get(product_id)
        return f"{product.name} ({product_id})" if product else product_id

    def price(self, product_id: str) -> float | None:
        product = self.products.get(product_id)
        return product.price if product else None

    def members(self, category: str) -> list[str]:
        return self.categories.get(category.lower(), [])

    def find(
        self, tokens: Sequence[Token], text: str, vocabulary: Vocabulary, only: Sequence[str] = ()
    ) -> ProductMention:
        """The products `tokens` name; with `only`, the best of those candidates however weak the evidence (an
        answer to "which one?")."""
        mention = ProductMention()
        self._find_ids(tokens, text, mention)
        words = [self._word(t) for t in tokens]
        scores = self._scores(tokens, words, set(only) if only else None)
        if only:
            self._pick_from(scores, mention)
        else:
            self._accept(tokens, words, scores, vocabulary, mention)
            self._find_unknown_names(tokens, vocabulary, mention)
            self._find_unknown_kinds(tokens, words, mention)
            if not mention.products:
                self._find_groups(words, mention)
        return mention

    def _word(self, token: Token) -> str:
        word = stem(self.lexicon.product_synonyms.get(token.norm.removesuffix("'s"), token.norm.removesuffix("'s")))
        if token.capitalised and word not in self._by_word:
            return self._name_spelling(word)
        return word

    def _name_spelling(self, word: str) -> str:
        """A capitalised word spelt differently from a product name ("Harbour" for "Harbor") is that name."""
        if word not in self._spellings:
            close = difflib.get_close_matches(word, sorted(self.name_words), n=1, cutoff=0.85)
            self._spellings[word] = close[0] if close and len(word) >= 5 else word
        return self._spellings[word]

    def _find_ids(self, tokens: Sequence[Token], text: str, mention: ProductMention) -> None:
        index = 0
        while index < len(tokens):
            form = self._id_at(tokens, index)
            if form is None:
                index += 1
                continue
            if form.product_id not in mention.products:
                mention.products.append(form.product_id)
            mention.claimed.update(range(index, index + len(form.parts)))
            index += len(form.parts)
        self._find_unknown_codes(tokens, mention)
        for match in self.lexicon.product_id_prefix.finditer(text):
            if continues_as_code(text, match.end(1)):
                continue  # "item 4471-BL": the whole code was looked up above
            if match.group(1) not in self.products and self.products:
                mention.unknown.append(f"product {match.group(1)}")

    def _id_at(self, tokens: Sequence[Token], index: int) -> IdForm | None:
        word = tokens[index].raw.lower()
        for key in dict.fromkeys((word, word.removesuffix("'s"))):
            for form in self._ids.get(key, ()):
                if form.at(tokens, index) and not (len(form.parts) == 1 and self._amount(tokens, index)):
                    return form
        return None

    def _amount(self, tokens: Sequence[Token], index: int) -> bool:
        """True for a number typed as an amount, not an id: "4+ stars", "4 and 5 star", "2-star", "8 weeks" (ids
        such as "4" exist in big catalogues); "product 4", "#4" and "item 4 reviews" name the product."""
        if not tokens[index].raw.isdigit():
            return False
        if tokens[index].joined.endswith("#") or (index and tokens[index - 1].norm in ID_WORDS):
            return False
        after = "".join(t.joined + t.raw for t in tokens[index + 1 :])
        return bool(self.lexicon.quantity.match(after))

    def _find_unknown_codes(self, tokens: Sequence[Token], mention: ProductMention) -> None:
        """A code shaped like the catalogue's ids ("SKU-9999-XX" beside "SKU-4471-BL"), or one that goes on past an
        id ("SKU-4471-BL-2"), that is none of them is an unknown product, with the closest ids as suggestions;
        other codes ("30-day", "2025-03") are not ids."""
        for run in code_runs(tokens):
            if set(run) & mention.claimed or self._amount(tokens, run[0]):
                continue  # "2-star" and "30-day" are amounts, not codes
            parts = [tokens[i].raw.lower().removesuffix("'s") for i in run]
            typed = "".join(tokens[i].joined * (i != run[0]) + tokens[i].raw for i in run)
            extends = any(f.parts == tuple(parts[: len(f.parts)]) for f in self._ids.get(parts[0], ()))
            if len(typed) < 4 or not (extends or code_shape(parts) in self._code_shapes):
                continue
            mention.unknown.append(typed)
            mention.suggestions.extend(self._closest_ids(typed, parts))
            mention.claimed.update(run)

    def _closest_ids(self, typed: str, parts: Sequence[str]) -> list[str]:
        """The three ids most like `typed`, among those of its shape (else those starting with its first word)."""
        shape = code_shape(parts)
        alike = [f.product_id for forms in self._ids.values() for f in forms if f.shape == shape]
        alike = alike or [f.product_id for f in self._ids.get(parts[0], ())]

        def likeness(product_id: str) -> float:
            return difflib.SequenceMatcher(None, typed.casefold(), product_id.casefold()).ratio()

        return sorted(alike, key=lambda p: (-likeness(p), p))[:3]

    def _weight(self, token: Token, word: str, product_id: str) -> float:
        sharing = self._by_word[word]
        group = self.subcategories.get(word)
        weight = 1.0 / len(group) if group and product_id in group else 1.0 / len(sharing)
        if word in self.lexicon.common_name_words and not token.capitalised:
            weight *= 0.5
        if self.lexicon.category_synonyms.get(token.norm) or word in self.categories:
            weight *= 0.5  # "shoes" names the footwear category more often than the walking shoes
        return weight

    def _scores(
        self, tokens: Sequence[Token], words: Sequence[str], only: set[str] | None
    ) -> dict[str, tuple[float, list[int]]]:
        matched: dict[str, list[int]] = defaultdict(list)
        for index, word in enumerate(words):
            for product_id in self._by_word.get(word, ()):
                if only is None or product_id in only:
                    matched[product_id].append(index)
        scores: dict[str, tuple[float, list[int]]] = {}
        for product_id, positions in matched.items():
            score = sum(self._weight(tokens[i], words[i], product_id) for i in positions)
            score += NEIGHBOUR_BONUS * sum(1 for a, b in itertools.pairwise(positions) if b == a + 1)
            scores[product_id] = (score, positions)
        return scores

    def _accept(
        self,
        tokens: Sequence[Token],
        words: Sequence[str],
        scores: dict[str, tuple[float, list[int]]],
        vocabulary: Vocabulary,
        mention: ProductMention,
    ) -> None:
        ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[1][1][0]))
        accepted: list[tuple[int, str]] = []
        named: dict[str, list[int]] = {}  # accepted products -> the positions of their words
        for product_id, (score, positions) in ranked:
            if score < ACCEPT or set(positions) <= mention.claimed:
                continue
            if self._only_common(tokens, words, product_id, positions):
                continue
            if _tied(product_id, score, positions, scores):
                continue  # two products fit the same words equally: a group, not a product
            if self._after_brand(words, product_id, positions, named):
                mention.claimed.update(positions)  # "the Cascade jacket": Cascade's product, called a jacket
                continue
            if self._unknown_before(tokens, words, product_id, positions, vocabulary):
                mention.unknown.append(_phrase(tokens, positions, before=1))
                mention.suggestions.append(product_id)
                mention.claimed.update([positions[0] - 1, *positions])
                continue
            accepted.append((positions[0], product_id))
            named[product_id] = positions
            mention.claimed.update(positions)
        mention.products.extend(pid for _, pid in sorted(accepted) if pid not in mention.products)

    def _after_brand(
        self, words: Sequence[str], product_id: str, positions: list[int], named: dict[str, list[int]]
    ) -> bool:
        """True when this product's words come right after another product named by its brand ("Cascade jacket",
        "Ridgeline rain jackets"): they say what that product is, not that this product is meant too."""
        before = positions[0] - 1
        if before < 0 or self._brand[product_id] in {words[i] for i in positions}:
            return False
        return any(
            before in spots and self._brand[other] in {words[i] for i in spots} for other, spots in named.items()
        )

    def _only_common(
        self, tokens: Sequence[Token], words: Sequence[str], product_id: str, positions: list[int]
    ) -> bool:
        """True for ordinary words that name no product ("noise cancelling" in lower case), unless they are the
        product's own two-word brand typed together ("golden hour", "sea salt")."""
        common = self.lexicon.common_name_words
        if not all(words[i] in common and not tokens[i].capitalised for i in positions):
            return False
        together = any(b == a + 1 for a, b in itertools.pairwise(positions))
        return not (together and self._brand[product_id] == words[positions[0]])

    def _unknown_before(
        self,
        tokens: Sequence[Token],
        words: Sequence[str],
        product_id: str,
        positions: list[int],
        vocabulary: Vocabulary,
    ) -> bool:
        """True for a name we do not know in front of a generic product word ("the Zephyr jacket")."""
        if self._brand[product_id] in {words[i] for i in positions}:
            return False
        before = positions[0] - 1
        if before < 0:
            return False
        token = tokens[before]
        return self._looks_like_name(token) or vocabulary.is_unknown(token.norm)

    def _looks_like_name(self, token: Token) -> bool:
        return (
            token.capitalised
            and token.norm.isalpha()
            and len(token.norm) >= 3  # "vitamin C", "I": letters, not names
            and token.norm not in self.lexicon.known_names
            and token.norm not in self.lexicon.words
            and token.norm not in self.lexicon.stop_words
            and self._word(token) not in self.name_words
            and token.norm not in self.lexicon.category_synonyms
            and token.norm not in self.categories
        )

    def _find_unknown_names(self, tokens: Sequence[Token], vocabulary: Vocabulary, mention: ProductMention) -> None:
        """Capitalised words that are no product we know ("the Velvet Cloud Pillow") are an unknown product;
        products matched only inside such a name are dropped."""
        for run in _capitalised_runs(tokens):
            strangers = [i for i in run if self._looks_like_name(tokens[i]) and i not in mention.claimed]
            if not strangers:
                continue
            inside = [pid for pid in mention.products if self._only_inside(pid, tokens, run)]
            for product_id in inside:
                mention.products.remove(product_id)
                mention.suggestions.append(product_id)
            mention.unknown.append(" ".join(tokens[i].raw for i in run))
            mention.claimed.update(run)
            mention.suggestions.extend(self._closest(" ".join(tokens[i].norm for i in run)))

    def _find_unknown_kinds(self, tokens: Sequence[Token], words: Sequence[str], mention: ProductMention) -> None:
        """A kind of product the catalogue has nothing of ("the perfume" in a clothing store) is an unknown product,
        with no suggestions: nothing we sell is close to it. Typed after one of our brands ("the Aurora cashmere
        scarf", where Aurora is a dress) it is that brand's product we do not have: the brand's product becomes the
        suggestion, not the product named."""
        for index, word in enumerate(words):
            if index in mention.claimed or word not in self._kinds or self._sells(word):
                continue
            start = index
            for product_id in list(mention.products):
                brand = self._brand_just_before(tokens, words, product_id, index)
                if brand is not None:
                    mention.products.remove(product_id)
                    mention.suggestions.append(product_id)
                    start = min(start, brand)
            mention.unknown.append(" ".join(t.raw for t in tokens[start : index + 1]))
            mention.claimed.update(range(start, index + 1))

    def _brand_just_before(
        self, tokens: Sequence[Token], words: Sequence[str], product_id: str, index: int
    ) -> int | None:
        """The position of `product_id`'s brand when it is the only word of the product typed and it comes just
        before position `index`, at most two describing words between ("Aurora cashmere scarf")."""
        positions = [i for i, w in enumerate(words) if w in self._order[product_id]]
        if len(positions) != 1 or words[positions[0]] != self._brand[product_id] or not 0 < index - positions[0] <= 3:
            return None
        between = range(positions[0] + 1, index)
        if any(words[i] in self.name_words or tokens[i].norm in self.lexicon.stop_words for i in between):
            return None
        return positions[0]

    def _sells(self, word: str) -> bool:
        """True when some product, group or category of the catalogue is called `word`."""
        return word in self._by_word or word in self.subcategories or self._category_named(word) is not None

    def _only_inside(self, product_id: str, tokens: Sequence[Token], run: list[int]) -> bool:
        words = {self._word(tokens[i]) for i in range(len(tokens)) if i not in run}
        form = IdForm.of(product_id)
        typed = form is not None and any(form.at(tokens, i) for i in range(len(tokens)))
        return not (words & set(self._order[product_id])) and not typed

    def _closest(self, typed: str) -> list[str]:
        names = {p.name.lower(): pid for pid, p in self.products.items()}
        close = difflib.get_close_matches(typed, list(names), n=3, cutoff=0.3)
        return [names[n] for n in close]

    def _find_groups(self, words: Sequence[str], mention: ProductMention) -> None:
        # "body care" and "skin care" name the "Bodycare" and "Skincare" sub-categories too
        joined = [a + b for a, b in itertools.pairwise(words)]
        for index, word in [*enumerate(words), *enumerate(joined)]:
            if index in mention.claimed:
                continue
            if word in self.subcategories and len(self.subcategories[word]) > 1 and not mention.candidates:
                mention.candidates = list(self.subcategories[word])
                mention.group = word
            if mention.category is None:
                mention.category = self._category_named(word)
        if not mention.candidates and mention.category is None:
            self._tied_group(words, mention)

    def _category_named(self, word: str) -> str | None:
        """The catalogue's category a word names ("shoes" -> "Footwear"), when the catalogue has it."""
        typed = self.lexicon.category_synonyms.get(word) or self.lexicon.category_synonyms.get(word + "s") or word
        return self.category_names.get(typed.lower()) or self.category_names.get(stem(typed.lower()))

    def _tied_group(self, words: Sequence[str], mention: ProductMention) -> None:
        """A group from a word several products share with nothing to separate them ("the cream")."""
        for index, word in enumerate(words):
            sharing = self._by_word.get(word, set())
            if index not in mention.claimed and len(sharing) > 1 and word not in self.lexicon.common_name_words:
                mention.candidates = sorted(sharing)
                mention.group = word
                return

    def _pick_from(self, scores: dict[str, tuple[float, list[int]]], mention: ProductMention) -> None:
        if not scores:
            return
        best = max(score for score, _ in scores.values())
        top = [pid for pid, (score, _) in scores.items() if score == best]
        if len(top) == 1:
            mention.products = top
        else:
            mention.candidates = sorted(top)


def _groups(products: Sequence[Product], key: Callable[[Product], str]) -> dict[str, list[str]]:
    """Product ids per category (or sub-category) name, under the name and its singular."""
    groups: dict[str, list[str]] = defaultdict(list)
    for product in products:
        value = key(product).lower()
        for form in {value, stem(value)} if value else set():
            groups[form].append(product.product_id)
    return dict(groups)


def _tied(product_id: str, score: float, positions: list[int], scores: dict[str, tuple[float, list[int]]]) -> bool:
    return any(
        other != product_id and abs(other_score - score) < 1e-9 and other_positions == positions
        for other, (other_score, other_positions) in scores.items()
    )


def _phrase(tokens: Sequence[Token], positions: list[int], before: int = 0) -> str:
    start = max(positions[0] - before, 0)
    return " ".join(t.raw for t in tokens[start : positions[-1] + 1])


def _capitalised_runs(tokens: Sequence[Token]) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for index, token in enumerate(tokens):
        if token.capitalised and token.norm.isalpha():
            current.append(index)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text)


def _product(row: dict[str, str]) -> Product:
    try:
        price: float | None = float(row.get("price") or "")
    except ValueError:
        price = None
    return Product(
        product_id=row["product_id"].strip(),
        name=row["name"].strip(),
        category=(row.get("category") or "").strip(),
        subcategory=(row.get("subcategory") or "").strip(),
        price=price,
        name_zh=(row.get("name_zh") or "").strip(),
    )
