"""What managers read off the deals: the pipeline by owner, team, stage and close month, the
forecast of a period with its band, and the win rate with the won/lost analysis (ADR 30).

Pure functions of deals (as `opportunities` folds them, at some time) and of the time they are
read at; every sum is per currency, never across currencies. Money is rounded per deal, then
summed (Odoo's prorated revenue; margince PR #1143).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_projections.domain.predictive import naive_bayes

Deal = dict[str, Any]
CENT = Decimal("0.01")
DAY_S = 86_400.0


def amount(deal: Deal) -> Decimal:
    return Decimal(deal["amount"])


def weighted(deal: Deal) -> Decimal:
    """The deal's amount times its probability, rounded to the cent."""
    share = amount(deal) * Decimal(str(deal["probability"])) / 100
    return share.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _days(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / DAY_S


def is_open(deal: Deal) -> bool:
    return bool(deal["status"] == "open")


# --- the learned probability: the third layer ---------------------------------------------


def deal_values(deal: Deal) -> dict[str, str]:
    """What the learned probability of a deal compares: its stage (the one it closed at, for
    closed deals), team (Odoo's two fixed variables) and source."""
    return {k: str(deal[k]) for k in ("stage", "team", "source")}


def with_learned(deals: list[Deal]) -> list[Deal]:
    """Each open deal with its learned probability (always shown) and, where its pipeline
    prices by it and no rep's override is set, priced by it (ADR 30)."""
    history = [{**d, "_id": d["opportunity_id"], "outcome": d["status"]} for d in deals]
    priced = []
    for deal, item in zip(deals, history, strict=True):
        if not is_open(deal):
            priced.append(deal)
            continue
        learned = naive_bayes(item, history, deal_values)
        deal = deal | {"learned": learned}
        if learned and deal["learned_pricing"] and deal["probability_override"] is None:
            deal["probability"] = learned["probability"]
        priced.append(deal)
    return priced


# --- the pipeline ---------------------------------------------------------------------------

GROUPS = ("owner", "team", "stage", "close_month", "currency")


def close_month(deal: Deal) -> str:
    return str(deal["expected_close"])[:7]


def pipeline_rows(deals: Iterable[Deal], at: str) -> list[dict[str, Any]]:
    """Open deals grouped by owner, team, stage, expected-close month and currency: amount,
    weighted amount, count, and the average days they have been in their stage at `at`."""
    groups: dict[tuple[Any, ...], list[Deal]] = defaultdict(list)
    for deal in filter(is_open, deals):
        groups[
            (deal["owner"], deal["team"], deal["stage"], close_month(deal), deal["currency"])
        ].append(deal)
    rows = []
    for group, members in groups.items():
        in_stage = [_days(d["stage_entered_at"], at) for d in members]
        rows.append(
            dict(zip(GROUPS, group, strict=True))
            | {
                "count": len(members),
                "amount": _money(sum((amount(d) for d in members), Decimal(0))),
                "weighted_amount": _money(sum((weighted(d) for d in members), Decimal(0))),
                "average_days_in_stage": round(sum(in_stage) / len(in_stage), 1),
            }
        )
    return sorted(rows, key=lambda r: tuple(str(r[g] or "") for g in GROUPS))


def pipeline_totals(deals: Iterable[Deal]) -> list[dict[str, Any]]:
    """Open deals per currency: count, amount and weighted amount."""
    by_currency: dict[str, list[Deal]] = defaultdict(list)
    for deal in filter(is_open, deals):
        by_currency[deal["currency"]].append(deal)
    return [
        {
            "currency": currency,
            "count": len(members),
            "amount": _money(sum((amount(d) for d in members), Decimal(0))),
            "weighted_amount": _money(sum((weighted(d) for d in members), Decimal(0))),
        }
        for currency, members in sorted(by_currency.items())
    ]


# --- the forecast ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end): dates, the end excluded."""

    start: date
    end: date

    def holds_date(self, day: str) -> bool:
        return self.start.isoformat() <= day[:10] < self.end.isoformat()


def _forecast(deals: list[Deal], period: Period) -> dict[str, dict[str, Any]]:
    """Per currency: booked (won in the period, by occurred time), the weighted open pipeline
    closing in it, its standard deviation sqrt(sum amount^2 p (1-p)) and the band."""
    booked: dict[str, Decimal] = defaultdict(Decimal)
    pipeline: dict[str, Decimal] = defaultdict(Decimal)
    variance: dict[str, float] = defaultdict(float)
    by_category: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for deal in deals:
        currency = deal["currency"]
        if deal["status"] == "won" and period.holds_date(deal["closed_at"]):
            booked[currency] += amount(deal)
        elif is_open(deal) and period.holds_date(deal["expected_close"]):
            p = deal["probability"] / 100
            pipeline[currency] += weighted(deal)
            variance[currency] += float(amount(deal)) ** 2 * p * (1 - p)
            by_category[currency][deal["forecast_category"]] += amount(deal)
    answer = {}
    for currency in sorted({*booked, *pipeline}):
        expected = booked[currency] + pipeline[currency]
        deviation = Decimal(math.sqrt(variance[currency])).quantize(CENT, rounding=ROUND_HALF_UP)
        answer[currency] = {
            "booked": _money(booked[currency]),
            "weighted_pipeline": _money(pipeline[currency]),
            "forecast": _money(expected),
            "standard_deviation": _money(deviation),
            "low": _money(expected - deviation),
            "high": _money(expected + deviation),
            "open_by_category": {c: _money(v) for c, v in sorted(by_category[currency].items())},
        }
    return answer


def forecast(deals: Iterable[Deal], period: Period) -> dict[str, Any]:
    """The period's forecast in total, by owner and by team."""
    every = list(deals)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "total": _forecast(every, period),
        "by_owner": _grouped(every, "owner", lambda group: _forecast(group, period)),
        "by_team": _grouped(every, "team", lambda group: _forecast(group, period)),
    }


def _grouped(
    deals: list[Deal], field: str, summary: Callable[[list[Deal]], dict[str, Any]]
) -> list[dict[str, Any]]:
    groups: dict[Any, list[Deal]] = defaultdict(list)
    for deal in deals:
        groups[deal[field]].append(deal)
    found = [{field: value, **summary(members)} for value, members in groups.items()]
    return sorted(found, key=lambda row: str(row[field] or ""))


# --- win rate and the won/lost analysis ----------------------------------------------------


def _results(deals: list[Deal]) -> dict[str, Any]:
    """Won, lost, win rate (won / (won + lost)) and the average days from open to won."""
    won = [d for d in deals if d["status"] == "won"]
    lost = [d for d in deals if d["status"] == "lost"]
    cycles = [_days(d["opened_at"], d["closed_at"]) for d in won]
    won_by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for deal in won:
        won_by_currency[deal["currency"]] += amount(deal)
    return {
        "won": len(won),
        "lost": len(lost),
        "win_rate": round(len(won) / (len(won) + len(lost)), 4) if won or lost else None,
        "average_sales_cycle_days": round(sum(cycles) / len(cycles), 1) if cycles else None,
        "won_amount": {c: _money(v) for c, v in sorted(won_by_currency.items())},
    }


def win_rate(deals: Iterable[Deal], period: Period) -> dict[str, Any]:
    """Among deals closed in the period (by occurred time): in total, and by owner, team and
    source; lost deals by reason."""
    closed = [d for d in deals if d["closed_at"] and period.holds_date(d["closed_at"])]
    lost = [d for d in closed if d["status"] == "lost"]
    reasons: dict[str, int] = defaultdict(int)
    for deal in lost:
        reasons[deal["lost_reason"]] += 1
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "total": _results(closed),
        "by_owner": _grouped(closed, "owner", _results),
        "by_team": _grouped(closed, "team", _results),
        "by_source": _grouped(closed, "source", _results),
        "lost_by_reason": [{"reason": r, "lost": n} for r, n in sorted(reasons.items())],
    }
