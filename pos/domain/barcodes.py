"""GS1 check digits, the only defence against a misread barcode selling the wrong item."""


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for `body` (the code without its check digit).

    Weights alternate 3, 1, ... starting from the rightmost digit, which is why
    one function serves EAN-8, UPC-A and EAN-13 alike.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError("a GTIN body is one or more ASCII digits")
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    """Whether the last digit of an all-digit `code` is its GS1 check digit."""
    if len(code) < 2 or not (code.isascii() and code.isdigit()):
        return False
    return int(code[-1]) == gtin_check_digit(code[:-1])
