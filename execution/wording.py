"""How counts and amounts read to the trader: Indian digit grouping, lots (whole, or a partial fill to two places),
rupees and plurals."""

from __future__ import annotations


def _grouped(whole: str) -> str:
    """'2045725' -> '20,45,725': the last three digits, then groups of two."""
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join([*groups, tail])


def indian(value: float, places: int = 0, *, trim: bool = False) -> str:
    """A number with Indian grouping: indian(2045725.5, 2) == '20,45,725.50', indian(10855) == '10,855'. With `trim`,
    trailing zeros of the fraction are dropped (12.50 -> 12.5, 20.00 -> 20)."""
    text = f"{abs(value):.{places}f}"
    whole, _, fraction = text.partition(".")
    if trim:
        fraction = fraction.rstrip("0")
    sign = "-" if value < 0 and float(text) != 0 else ""
    return sign + _grouped(whole) + (f".{fraction}" if fraction else "")


def inr(value: float, places: int = 2) -> str:
    """Rupees with Indian grouping: ₹20,45,725.50; a negative amount as -₹1,300.00."""
    text = indian(value, places)
    return f"-₹{text[1:]}" if text.startswith("-") else f"₹{text}"


def lots_text(lots: float) -> str:
    """Whole lots as a whole number; a partial fill to two places; Indian grouping (1,00,000 lots)."""
    return indian(lots, 2, trim=True)


def plural(n: float, word: str) -> str:
    """'1 order', '2 orders', '9 batches'."""
    many = word + ("es" if word.endswith(("ch", "sh", "s", "x")) else "s")
    return f"{lots_text(n)} {word if n == 1 else many}"
