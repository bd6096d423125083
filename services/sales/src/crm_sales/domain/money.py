"""Money in a currency's own minor units (ISO 4217), rounded half up, never a float.

Most currencies have cents; the ones below do not (the yen, the won) or have thousandths (the
Kuwaiti dinar). The table is the ISO 4217 list's exponent column for every active currency
whose exponent is not 2; written here because the locale libraries follow CLDR, whose digits
are display conventions and differ from ISO for some currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_kernel.domain.errors import DomainError

MINOR_UNITS_NOT_2 = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
            "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip


def minor_units(currency: str) -> int:
    return MINOR_UNITS_NOT_2.get(currency, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """`amount` to the currency's minor unit, half up (2.345 EUR is 2.35; 2.5 JPY is 3)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def exact(amount: Decimal, currency: str, field: str) -> Decimal:
    """An amount as given, refused when it has more decimals than the currency has (a price
    of 1.5 yen is no price); kept at the currency's scale."""
    if amount != rounded(amount, currency):
        places = minor_units(currency)
        raise DomainError(
            f"{amount} {currency} has more decimals than {currency}'s {places}", field=field
        )
    return rounded(amount, currency)
