"""How counts read to the trader: lots (whole, or a partial fill to two places) and plurals."""


def lots_text(lots: float) -> str:
    """Whole lots as a whole number; a partial fill to two places."""
    return f"{round(lots, 2):g}"


def plural(n: float, word: str) -> str:
    """'1 order', '2 orders', '9 batches'."""
    many = word + ("es" if word.endswith(("ch", "sh", "s", "x")) else "s")
    return f"{lots_text(n)} {word if n == 1 else many}"
