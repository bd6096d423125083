"""Payment terms: when an invoice's amount falls due, in one instalment or several.

    immediate            the issue day
    net N                N days after the issue day
    end of month + N     N days after the last day of the issue month (Odoo's
                         days_after_end_of_month: net 30 EOM on 15 Jan falls due on 2 Mar)
    instalments          (percent, days after the issue day) pairs summing to 100 %; the
                         running share rounded half up to the currency's minor unit, each
                         instalment the step between two, so they add up to the total exactly

Pure: the invoice aggregate computes the due dates once, from its issue day, and records them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from crm_kernel.domain.errors import DomainError
from crm_sales_contracts.events import PaymentTermsKind as TermsKind

from crm_sales.domain.money import rounded

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Decimal


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _instalment_days(
    instalments: tuple[tuple[Decimal, int], ...],
) -> tuple[tuple[Decimal, int], ...]:
    if not instalments:
        raise DomainError("instalments need at least one (percent, days)", field="instalments")
    if sum((percent for percent, _ in instalments), Decimal(0)) != HUNDRED:
        raise DomainError("the instalments' percents must sum to 100", field="instalments")
    days = [d for _, d in instalments]
    if days != sorted(days):
        raise DomainError("instalments come in due-date order", field="instalments")
    return instalments


def schedule(
    kind: TermsKind,
    issued_on: date,
    total: Decimal,
    currency: str,
    *,
    days: int = 0,
    instalments: tuple[tuple[Decimal, int], ...] = (),
) -> tuple[Instalment, ...]:
    """The instalments `total` falls due in, in due-date order."""
    match kind:
        case TermsKind.IMMEDIATE:
            return (Instalment(issued_on, total),)
        case TermsKind.NET:
            return (Instalment(issued_on + timedelta(days=days), total),)
        case TermsKind.END_OF_MONTH:
            return (Instalment(end_of_month(issued_on) + timedelta(days=days), total),)
    parts = _instalment_days(instalments)
    # Each instalment is what the running share comes to, rounded, less what the earlier ones
    # took: never below nothing (four quarters of 0.02 are 0.01, 0, 0.01, 0, not 0.01 three
    # times and -0.01), and adding up to the total exactly.
    reached, amounts, percent_so_far = Decimal(0), [], Decimal(0)
    for percent, _ in parts:
        percent_so_far += percent
        now = rounded(total * percent_so_far / HUNDRED, currency)
        amounts.append(now - reached)
        reached = now
    return tuple(
        Instalment(issued_on + timedelta(days=d), amount)
        for (_, d), amount in zip(parts, amounts, strict=True)
    )
