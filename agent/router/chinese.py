"""Reading a Chinese (or mixed Chinese-English) request the way the English router reads its English twin.

    reader = ChineseReader(products)           # products: (id, English name, Chinese name) from the catalogue
    reader.read("下个月1.5万在谷歌和Meta之间怎么分")
    # -> "next month $15000 in google and Meta between how to split"

The reading is not a translation: it is the request's words as the English lexicon knows them, in the order they
were typed, which is all the English router needs (keywords, slots, a MiniLM classifier that is robust to word
order). In order:
1. Traditional characters become Simplified (OpenCC's t2s), full-width forms half-width (NFKC).
2. Dates ("10月15日以后" -> "since October 15") and numbers ("两万", "2w", "1.5万", "三万五", "8 萬") are read by code;
   an amount in 万 or with a currency word becomes "$N", which the budget and price readers take as money.
3. The longest phrase at each position wins: a product's Chinese name (or its end, "卡其裤" for "Meadow 休闲卡其裤";
   an end several products share reads as the product whose brand is typed just before it, else as the group's
   common word), else a phrasebook entry (`zh.yaml`). Latin text (brand words, ids, English words) is kept as typed.
4. Chinese the phrasebook does not know is dropped; `unknown` lists it, for the phrasebook's authors.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.zh import to_simplified as simplified

PHRASEBOOK = Path(__file__).with_name("zh.yaml")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'&.-]*")
DIGITS = "零〇一二两俩三四五六七八九"
DIGIT_VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "俩": 2}
BRAND_REACH = 20  # characters of reading before a name piece in which a typed brand still names the product
VARIANT_MEASURES = "条则版句套"  # "三条谷歌广告", "短信 3条": after a number, a count of variants
UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMBER = re.compile(r"[0-9零〇一二两俩三四五六七八九十百千万亿.]+")
MONEY_UNIT = re.compile(r"\s*([万萬wW亿千kK])(?![A-Za-z])")
CURRENCY = re.compile(r"\s*(美元|美金|块钱|块|元|刀|usd|dollars?)", re.IGNORECASE)
MONTH_NAMES = tuple(calendar.month_name)[1:]
SINCE = "以来|以後|以后|之后|之後|起|开始|開始|至今"  # after a date: from then on
DATE = re.compile(
    r"(?:(?P<y>20\d\d)\s*年\s*)?(?P<m>1[0-2]|0?[1-9])\s*月份?\s*(?:(?P<d>[1-3]?\d)\s*[日号號])?"
    rf"\s*(?P<after>{SINCE}|后|後)?"
)
# "十月份以来", "十一月1号": a month typed in Chinese numerals, where 份, a day or "since" shows it is a month of the
# calendar (not "三月" for three months), read as its digits first
CN_MONTH = re.compile(rf"(十[一二]?|[一二三四五六七八九])(?=月(?:份|\s*[1-3]?\d\s*[日号號]|\s*(?:{SINCE})))")
# "把会员等级改成VIP": 把 X 改成 Y changes X to Y (an action, or a follow-up's new detail), read as 调成 is
CHANGE_TO = re.compile(r"把([^，。,.？?！!；;]{1,24}?)(?:改成|改为|换成|设成|设为)")
# "给所有VIP发短信": sending to everyone on a list (an action), read as 发给所有VIP
SEND_TO_ALL = re.compile(r"给((?:所有|全部|全体|每个|每位|每一个)[^，。,.？?！!；;]{0,12}?)发(?!给)")
# "给他们挑5个商品", "给沉睡客户推荐几款": picking or recommending for someone, read verb first as English says it
# ("pick for them 5 products", 面向 reads "for"); read as typed, "to them" opens the clause as a modifier of the step
# before, or the group comes first and reads as a request for the segments, and the job is lost
FOR_SOMEONE = re.compile(
    r"给(他们|她们|他|她)(挑选|挑出|挑|选出|选|推荐|推|找出|找|配)"
    r"|给([^，。,.？?！!；;给]{1,12}?(?:客户|顾客|用户|会员|人群|买家))(挑选|挑出|挑|选出|选|推荐)"
)
# "准备给沉睡客户发唤醒邮件": what we are about to send, said as the setting of the job that follows (which products to
# put in it), read as "we're sending win back email to dormant customers" (English "we're sending ..." is a modifier),
# not as a request to write it
ABOUT_TO_SEND = re.compile(
    r"(?:正准备|准备|打算|计划)(?:给([^，。,.？?！!；;给发]{1,12}?))?发(?![给布货])([^，。,.？?！!；;]{0,16})"
)
# "每天2500个访客的话，还要跑多久": a clause closed by 的话 is a condition, read as one opened by 如果 ("what if ..."),
# so a follow-up that changes a detail reads as one ("at 2,500 visitors a day, how much longer?")
CONDITION = re.compile(r"(^|[，。,.？?！!；;]\s*)(?!如果|要是|假如|万一)([^，。,.？?！!；;]{1,20}?)的话")
# "明年第一季", "今年第3季度", "第二季": a named quarter, read as the English router reads "q1 next year"
QUARTER = re.compile(r"(?:(明年|今年)(?:的)?第?|第)([一二三四1-4])季度?")
QUARTER_YEAR = {"明年": " next year", "今年": " this year"}
# "在谷歌和脸书之间": Chinese closes "between" after the pair; English opens it before
# "打七五折", "8.5折", "打8折": a price at that many tenths of itself, read as the English "25% off"
DISCOUNT = re.compile(r"打?\s*([1-9一二三四五六七八九](?:\.5|[0-9五])?)\s*折(?!扣)")
BETWEEN = re.compile(r"在([^，。,.？?！!；;在]{1,24}?)(?:之间|中间)")
# a request ending in 呢, or opening with a short clause that does ("那差评呢？主要吐槽什么"), asks "what about ...?"
ABOUT = re.compile(r"呢[\s?!.？！。]*$|^[^，。,.？?！!；;]{1,8}呢\s*[?？]")
BOUND_WORDS = ("到", "至", "止", "从", "自", "前", "直到", "截至")  # a month after these bounds a range: no "in"
PUNCTUATION = str.maketrans(
    {"，": ", ", "。": ". ", "？": "? ", "！": "! ", "、": ", ", "：": ": ", "；": "; ", "（": " ", "）": " ",
     "“": '"', "”": '"', "‘": "'", "’": "'", "《": " ", "》": " ", "【": " ", "】": " ", "～": " ", "…": " "}
)  # fmt: skip


def is_chinese(text: str, *, at_least: int = 1) -> bool:
    """True when `text` has Chinese characters (at least `at_least`): it is read, and answered, in Chinese."""
    return len(CJK.findall(text)) >= at_least


def to_simplified(text: str) -> str:
    """Traditional characters as Simplified ("預測銷量" -> "预测销量"); full-width letters and digits half-width."""
    return simplified(unicodedata.normalize("NFKC", text))


@functools.cache
def load_phrasebook(path: Path = PHRASEBOOK) -> dict[str, str]:
    """Simplified Chinese phrase -> English words, from every section of `zh.yaml`; duplicates are an error."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    book: dict[str, str] = {}
    for section, entries in data["sections"].items():
        for phrase, english in entries.items():
            key = to_simplified(str(phrase)).lower()
            if key in book:
                raise ValueError(f"{path.name}: {phrase!r} is listed twice (again in {section})")
            book[key] = str(english)
    return book


@functools.cache
def chinese_words() -> dict[str, str]:
    """English reading -> the first Chinese phrase the phrasebook reads so ("perfume" -> 香水), for questions that
    name in Chinese a kind of product the user typed. It is the phrasebook's word, not always the user's: "lipstick"
    is 口红 even where 唇膏 was typed (the planner sees only the English reading)."""
    found: dict[str, str] = {}
    for phrase, english in load_phrasebook().items():
        found.setdefault(english.strip().lower(), phrase)
    return found


def segment_names_zh() -> dict[str, str]:
    """The segment names as Chinese answers write them ("已流失的一次性购买客户") -> the English name the router
    knows ("lapsed one-time buyers"), from the answers' own tables, so a name copied from an answer finds its
    segment."""
    from tools.segments.present import STATUS_ZH, WORTH_ZH

    return {
        f"{status_zh}{worth_zh}": f" {status} {worth} "
        for status, status_zh in STATUS_ZH.items()
        for worth, worth_zh in WORTH_ZH.items()
    }


@dataclass(frozen=True)
class Product:
    """A catalogue product as the Chinese reader needs it."""

    product_id: str
    name: str  # English
    name_zh: str  # "Aurora 亚麻中长连衣裙"; "" when the catalogue has none
    subcategory: str = ""


@dataclass(frozen=True)
class Reading:
    """A request read for the English router: the text, and the Chinese it could not read."""

    text: str
    unknown: list[str] = field(default_factory=list)


class ChineseReader:
    """Reads Chinese requests against one catalogue (rebuild it when the catalogue changes)."""

    def __init__(self, products: Iterable[Product], phrasebook: dict[str, str] | None = None) -> None:
        self.phrasebook = phrasebook if phrasebook is not None else load_phrasebook() | segment_names_zh()
        products = list(products)
        self.names = _name_index(products)
        self.brands = frozenset(b.lower() for p in products if (b := _brand(p)))
        self.longest = max([len(k) for k in self.phrasebook] + [len(k) for k in self.names] + [1])

    def read(self, text: str) -> Reading:
        # punctuation first: NFKC (in to_simplified) would turn "，" into "," and lose the space after it
        text = to_simplified(text.translate(PUNCTUATION))
        text = SEND_TO_ALL.sub(r"发给\1", CHANGE_TO.sub(r"把\1调成", text))
        text = CONDITION.sub(r"\1如果\2", text)
        text = ABOUT_TO_SEND.sub(lambda m: f"准备发{m.group(2)}" + (f"给{m.group(1)}" if m.group(1) else ""), text)
        text = FOR_SOMEONE.sub(lambda m: f"{m.group(2) or m.group(4)}面向{m.group(1) or m.group(3)}", text)
        text = DATE.sub(_date, CN_MONTH.sub(lambda m: f"{parse_number(m.group(1)):.0f}", text))
        text = QUARTER.sub(_quarter, BETWEEN.sub(r"之间\1", text))
        text = DISCOUNT.sub(_discount, text)
        pieces: list[str] = []
        unknown: list[str] = []
        lowered = text.lower()
        i = 0
        while i < len(text):
            char = text[i]
            if not CJK.match(char) and char not in "万萬":
                latin = LATIN_WORD.match(text, i)
                if char.isdigit() or (char == "." and i + 1 < len(text) and text[i + 1].isdigit()):
                    number, i = self._number(text, i)
                    pieces.append(number)
                    continue
                if latin:
                    pieces.append(latin.group())
                    i = latin.end()
                    continue
                pieces.append(char)
                i += 1
                continue
            match = self._phrase(text, lowered, i, pieces)
            if match is not None:
                english, i = match
                if english.startswith("^"):  # a verb read at the start of its clause: "把差评都删掉" -> "delete ..."
                    pieces.insert(_clause_start(pieces), f" {english[1:]} ")
                else:
                    pieces.append(f" {english} ")
                continue
            if char in DIGITS or char in "十百千":
                number, i = self._number(text, i)
                pieces.append(number)
                continue
            unknown.append(char)
            pieces.append(" ")
            i += 1
        reading = _tidy("".join(pieces))
        if ABOUT.search(text):  # "下季度呢？", "首页横幅那个呢": what about ..., a follow-up
            reading = f"what about {reading}"
        return Reading(reading, _runs(unknown))

    def _phrase(self, text: str, lowered: str, start: int, before: list[str]) -> tuple[str, int] | None:
        """The longest product name or phrasebook entry at `start`: (English, end), or None."""
        for length in range(min(self.longest, len(text) - start), 0, -1):
            piece = lowered[start : start + length]
            if length >= 2 and piece in self.names:
                english = _product_words(self.names[piece], "".join(before), self.brands)
                if english is not None:
                    return english, start + length
            if piece in self.phrasebook:
                return self.phrasebook[piece], start + length
        return None

    def _number(self, text: str, start: int) -> tuple[str, int]:
        """A number written in digits, Chinese numerals or both, with 万/千/k/w and a currency: its digits."""
        run = CN_NUMBER.match(text, start)
        assert run is not None  # the caller saw a digit or a numeral
        value = parse_number(run.group())
        end = run.end()
        if value is None:
            return run.group(), end
        money = False
        unit = MONEY_UNIT.match(text, end)
        if unit is not None and run.group()[-1] not in "万亿":
            value *= {"万": 10_000, "萬": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1000, "k": 1000}[
                unit.group(1).lower()
            ]
            end = unit.end()
            money = unit.group(1).lower() in ("万", "萬", "w", "亿")
            tail = re.match(r"[一二两三四五六七八九0-9](?![0-9个月周天年])", text[end:])
            if tail and unit.group(1) in "万萬":  # 三万五 = 35,000
                value += (parse_number(tail.group()) or 0) * 1000
                end += 1
        elif "万" in run.group() or "亿" in run.group():
            money = True
        currency = CURRENCY.match(text, end)
        if currency is not None:
            money = True
            end = currency.end()
        digits = f"{value:.0f}" if value == int(value) else f"{value:g}"
        if not money and end < len(text) and text[end] in VARIANT_MEASURES:
            return f" {digits} variants ", end + 1
        return (f" ${digits} " if money else f" {digits} "), end


def parse_number(typed: str) -> float | None:
    """ "两万" -> 20000, "1.5万" -> 15000, "三十五" -> 35, "十" -> 10, "120" -> 120; None when it is not one."""
    typed = typed.strip(".")
    if not typed:
        return None
    try:
        return float(typed)
    except ValueError:
        pass
    total = 0.0
    for big, factor in (("亿", 100_000_000), ("万", 10_000)):
        if big in typed:
            head, typed = typed.split(big, 1)
            value = _small_number(head) if head else 1.0
            if value is None:
                return None
            total += value * factor
            if len(typed) == 1 and typed in DIGIT_VALUES:  # 三万五 = 35,000: a lone digit after 万 is thousands
                return total + DIGIT_VALUES[typed] * factor / 10
    if typed:
        rest = _small_number(typed)
        if rest is None:
            return None
        total += rest
    return total


def _small_number(typed: str) -> float | None:
    """A number under 10,000 in digits or numerals ("三千五百", "35", "1.5", "十二")."""
    try:
        return float(typed)
    except ValueError:
        pass
    total, digit, unit = 0, None, 0
    for char in typed:
        if char in DIGIT_VALUES:
            digit = DIGIT_VALUES[char]
            if digit == 0:
                unit = 0  # 一千零五 = 1,005: after 零 a digit is units
        elif char.isdigit():
            digit = int(char)
        elif char in UNITS:
            unit = UNITS[char]
            total += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    if digit is not None and unit >= 100:  # 两千五 = 2,500, 一百五 = 150
        return float(total + digit * unit // 10)
    return float(total + (digit or 0))


def _date(match: re.Match[str]) -> str:
    month = MONTH_NAMES[int(match.group("m")) - 1]
    day = match.group("d")
    year = match.group("y")
    words = " ".join(w for w in (month, day, year) if w)
    if match.group("after"):  # closed by a comma, so that a number after it ("十月以来的三星评价") is not its day
        return f" since {words}, "
    before = match.string[: match.start()].rstrip()
    if year and not day and not before.endswith(BOUND_WORDS):  # "2000年1月的评价": the reviews of that month
        return f" in {words} "
    return f" {words} "


def _quarter(match: re.Match[str]) -> str:
    number = "一二三四".find(match.group(2)) + 1 or int(match.group(2))
    return f" q{number}{QUARTER_YEAR.get(match.group(1) or '', '')} "


def _discount(match: re.Match[str]) -> str:
    typed = match.group(1)
    digits = "".join(str(DIGIT_VALUES.get(c, c)) for c in typed)  # "七五" -> "75", "8.5" stays
    tenths = float(digits) if "." in digits or len(digits) == 1 else float(digits) / 10
    return f" {round(100 - 10 * tenths, 1):g}% off "


def _name_index(products: list[Product]) -> dict[str, list[Product]]:
    """Chinese name pieces -> products: the whole name, and each ending of its Chinese part of 2+ characters
    ("连衣裙", "中长连衣裙", "亚麻中长连衣裙"), plus beginnings of 3+ ("一字拖")."""
    index: dict[str, list[Product]] = {}
    for product in products:
        if not product.name_zh:
            continue
        whole = to_simplified(product.name_zh).lower()
        chinese = "".join(CJK.findall(whole))
        pieces = {whole, whole.replace(" ", "")}
        pieces |= {chinese[i:] for i in range(len(chinese) - 1)}
        pieces |= {chinese[:i] for i in range(3, len(chinese))}
        for piece in pieces:
            if piece and product not in index.setdefault(piece, []):
                index[piece].append(product)
    return index


def _product_words(products: list[Product], before: str, brands: frozenset[str] = frozenset()) -> str | None:
    """What a Chinese product-name piece reads as: one product's English name (less the brand typed just before
    it), the brand's product among several, their shared subcategory, or None (let the phrasebook read it): also
    when another product's brand was typed just before ("Driftwood 牛仔外套" is the Driftwood jacket, not the one
    product whose Chinese name ends in 外套)."""
    typed = before.rstrip().lower()
    branded = [p for p in products if _brand(p) and typed.endswith(_brand(p).lower())]
    near = {b for b in brands if b in typed[-BRAND_REACH:]}
    if near and not branded and not near & {_brand(p).lower() for p in products}:
        return None
    if len(products) == 1 or len(branded) == 1:
        product = branded[0] if branded else products[0]
        brand = _brand(product)
        name = product.name
        if brand and typed.endswith(brand.lower()) and name.lower().startswith(brand.lower()):
            name = name[len(brand) :].strip()
        return name
    subcategories = {p.subcategory.lower() for p in products}
    if len(subcategories) == 1 and "" not in subcategories:
        return subcategories.pop()
    return None


def _brand(product: Product) -> str:
    """The Latin words a Chinese name starts with ("Bright Eyes" in "Bright Eyes 咖啡因眼霜")."""
    head = re.match(r"[A-Za-z0-9][A-Za-z0-9 '&.-]*", product.name_zh.strip())
    return head.group().strip() if head else ""


def _clause_start(pieces: list[str]) -> int:
    """Where the clause being read starts in `pieces`: after the last piece that ends a clause."""
    for index in range(len(pieces) - 1, -1, -1):
        if re.search(r"[,.?!;]", pieces[index]):
            return index + 1
    return 0


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.?!:;%])", r"\1", text)
    text = re.sub(r"([,.?!:;])(?:\s*[,.?!:;])+", r"\1", text)
    text = re.sub(r"\$\s+", "$", text)
    return text.strip(" ,")


def _runs(chars: list[str]) -> list[str]:
    return list(dict.fromkeys(chars))
