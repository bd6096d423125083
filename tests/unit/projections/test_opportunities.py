"""The opportunities read model and the pipeline figures (ADR 30): the fold is idempotent and
order-tolerant, "as of" reproduces the pipeline as it stood, and every figure is checked
against values computed by hand."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import DomainEvent
from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.domain import opportunities, pipeline
from crm_projections.domain.wire_values import instant
from crm_sales_contracts.events import (
    ForecastCategory,
    LeadChannel,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityLost,
    OpportunityOpened,
    OpportunityProbabilityOverridden,
    OpportunityStageChanged,
    OpportunityWon,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes import InMemoryKeyStore
from tests.unit.projections.test_remembered_first import RevisionStore
from tests.unit.projections.test_write_signals import NoRedirects

F = ForecastCategory
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def opened(deal: str, customer: str, amount: str, probability: int, **over: Any) -> Any:
    facts: dict[str, Any] = {
        "opportunity_id": deal,
        "customer_id": customer,
        "name": f"deal {deal}",
        "owner": "marta",
        "team": "iberia",
        "amount": Decimal(amount),
        "currency": "EUR",
        "expected_close": date(2026, 3, 15),
        "pipeline": "default",
        "stage": "proposal",
        "stage_probability": probability,
        "stage_category": F.BEST_CASE,
        "probability": probability,
        "forecast_category": F.BEST_CASE,
        "source": LeadChannel.REFERRAL,
    }
    return OpportunityOpened(**facts | over)


def history(
    deal: str, events: list[DomainEvent], days: list[int], late: dict[int, int] | None = None
) -> list[EventEnvelope]:
    """The deal's stream: event i happened `days[i]` days after T0 and was recorded then, or
    `late[i]` days after T0 when it was recorded after the fact."""
    late = late or {}
    made = []
    for version, (event, day) in enumerate(zip(events, days, strict=True)):
        happened = T0 + timedelta(days=day)
        recorded = T0 + timedelta(days=late.get(version, day))
        [envelope] = wrap(
            [event],
            source="crm.sales",
            stream_id=f"opportunity-{deal}",
            expected_version=version,
            metadata=Metadata(actor="t", occurred_at=happened),
            now=recorded,
        )
        made.append(envelope)
    return made


IDS = {"opportunity_id": "d1", "customer_id": "c1"}
D1 = history(
    "d1",
    [
        opened("d1", "c1", "1000.00", 50),
        OpportunityStageChanged(
            **IDS,
            stage="negotiation",
            stage_probability=80,
            stage_category=F.COMMIT,
            probability=80,
            forecast_category=F.COMMIT,
        ),
        OpportunityAmountChanged(**IDS, amount=Decimal("1200.00"), currency="EUR"),
        OpportunityCloseDateChanged(**IDS, expected_close=date(2026, 4, 10)),
        OpportunityWon(**IDS, amount=Decimal("1200.00"), currency="EUR"),
    ],
    days=[0, 10, 12, 20, 40],
    late={2: 30},  # the amount change was logged 18 days after it happened
)


def folded(envelopes: list[EventEnvelope], batch: int = 1000) -> dict[str, Any]:
    doc = opportunities.empty("d1")
    for start in range(0, len(envelopes), batch):
        doc = opportunities.fold(doc, envelopes[start : start + batch])
    return doc


# --- the fold -------------------------------------------------------------------------------


def test_a_deal_folds_to_the_values_after_its_last_event() -> None:
    doc = folded(D1)
    assert {k: doc[k] for k in ("status", "stage", "amount", "expected_close", "probability")} == {
        "status": "won",
        "stage": "negotiation",
        "amount": "1200.00",
        "expected_close": "2026-04-10",
        "probability": 100,
    }
    assert doc["closed_at"] == (T0 + timedelta(days=40)).isoformat()
    assert [e["version"] for e in doc["history"]] == [1, 2, 3, 4, 5]
    assert opportunities.stage_history(doc) == [
        ("proposal", T0.isoformat()),
        ("negotiation", (T0 + timedelta(days=10)).isoformat()),
    ]


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=5))
def test_the_fold_is_idempotent_and_order_tolerant(rng: random.Random, batch: int) -> None:
    delivered = [*D1, *rng.sample(D1, k=rng.randint(0, len(D1)))]  # some redelivered
    rng.shuffle(delivered)
    assert folded(delivered, batch) == folded(D1)


def test_events_of_no_opportunity_are_left_out() -> None:
    assert all(opportunities.key(e) == "d1" for e in D1)
    order = wrap(
        [opened("d2", "c1", "1", 1)],
        source="crm.contacts",
        stream_id="x",
        expected_version=0,
        metadata=Metadata(actor="t"),
    )[0].model_copy(update={"type": "crm.sales.OrderPlaced.v1"})
    assert opportunities.key(order) is None


# --- as of ----------------------------------------------------------------------------------


def at(day: float) -> str:
    return instant(T0 + timedelta(days=day))


def test_as_of_a_time_reproduces_the_deal_as_it_stood() -> None:
    doc = folded(D1)
    assert opportunities.as_of(doc, at(-1)) is None  # not opened yet
    before_win = opportunities.as_of(doc, at(35))
    assert before_win is not None
    assert (before_win["status"], before_win["stage"], before_win["expected_close"]) == (
        "open",
        "negotiation",
        "2026-04-10",
    )
    # Recorded on day 30, the amount change was not known on day 15 ...
    known = opportunities.as_of(doc, at(15))
    assert known is not None and known["amount"] == "1000.00"
    # ... though it had happened by then.
    happened = opportunities.as_of(doc, at(15), basis="occurred")
    assert happened is not None and happened["amount"] == "1200.00"
    assert opportunities.as_of(doc, at(100)) == opportunities.deal_of(doc["history"])


# --- the pipeline, the forecast, the win rate: by hand ---------------------------------------


def deal(**fields: Any) -> dict[str, Any]:
    base = {k: None for k in opportunities.BLANK} | {
        "status": "open",
        "currency": "EUR",
        "owner": "marta",
        "team": "iberia",
        "stage": "proposal",
        "expected_close": "2026-03-15",
        "stage_entered_at": T0.isoformat(),
        "opened_at": T0.isoformat(),
        "forecast_category": "best_case",
    }
    return base | fields


DEALS = [
    deal(opportunity_id="a", amount="1000.00", probability=50),
    deal(opportunity_id="b", amount="333.33", probability=15),  # 49.9995 -> 50.00
    deal(opportunity_id="c", amount="2000.00", probability=80, stage="negotiation", owner="luis",
         forecast_category="commit", stage_entered_at=(T0 + timedelta(days=5)).isoformat()),
    deal(opportunity_id="d", amount="500.00", probability=20, expected_close="2026-05-02"),
    deal(opportunity_id="e", amount="700.00", probability=100, status="won",
         closed_at=(T0 + timedelta(days=30)).isoformat(), source="referral"),
    deal(opportunity_id="f", amount="900.00", probability=0, status="lost", lost_reason="too expensive",
         closed_at=(T0 + timedelta(days=20)).isoformat(), source="trade_fair"),
    deal(opportunity_id="g", amount="100.00", probability=50, currency="USD"),
]  # fmt: skip
Q1 = pipeline.Period(start=date(2026, 1, 1), end=date(2026, 4, 1))


def test_weighted_amounts_are_rounded_per_deal_then_summed() -> None:
    assert pipeline.weighted(DEALS[1]) == Decimal("50.00")  # 333.33 x 15 % = 49.9995
    totals = pipeline.pipeline_totals(DEALS)
    assert totals == [
        {"currency": "EUR", "count": 4, "amount": "3833.33", "weighted_amount": "2250.00"},
        {"currency": "USD", "count": 1, "amount": "100.00", "weighted_amount": "50.00"},
    ]  # 500 + 50 + 1600 + 100 = 2250


def test_the_pipeline_is_grouped_by_owner_team_stage_close_month_and_currency() -> None:
    rows = pipeline.pipeline_rows(DEALS, instant(T0 + timedelta(days=10)))
    assert [
        (r["owner"], r["stage"], r["close_month"], r["currency"], r["count"]) for r in rows
    ] == [
        ("luis", "negotiation", "2026-03", "EUR", 1),
        ("marta", "proposal", "2026-03", "EUR", 2),
        ("marta", "proposal", "2026-03", "USD", 1),
        ("marta", "proposal", "2026-05", "EUR", 1),
    ]
    luis, marta = rows[0], rows[1]
    assert (luis["amount"], luis["weighted_amount"], luis["average_days_in_stage"]) == (
        "2000.00",
        "1600.00",
        5.0,
    )
    assert (marta["amount"], marta["weighted_amount"], marta["average_days_in_stage"]) == (
        "1333.33",
        "550.00",
        10.0,
    )


def test_the_forecast_is_booked_plus_weighted_pipeline_with_its_band() -> None:
    result = pipeline.forecast(DEALS, Q1)
    eur = result["total"]["EUR"]
    # Open, closing in Q1: a (1000, .5), b (333.33, .15), c (2000, .8); d closes in May.
    variance = 1000**2 * 0.5 * 0.5 + 333.33**2 * 0.15 * 0.85 + 2000**2 * 0.8 * 0.2
    deviation = Decimal(math.sqrt(variance)).quantize(Decimal("0.01"))
    assert eur["booked"] == "700.00"  # e, won on day 30
    assert eur["weighted_pipeline"] == "2150.00"  # 500 + 50 + 1600
    assert eur["forecast"] == "2850.00"
    assert (
        eur["standard_deviation"] == str(deviation) == "950.88"
    )  # sqrt(250000 + 14166.38 + 640000)
    assert (eur["low"], eur["high"]) == ("1899.12", "3800.88")
    assert eur["open_by_category"] == {"best_case": "1333.33", "commit": "2000.00"}
    assert result["total"]["USD"]["forecast"] == "50.00"
    by_owner = {row["owner"]: row for row in result["by_owner"]}
    assert by_owner["luis"]["EUR"]["forecast"] == "1600.00"
    assert by_owner["marta"]["EUR"]["forecast"] == "1250.00"  # 700 + 500 + 50


def test_the_win_rate_counts_deals_closed_in_the_period() -> None:
    result = pipeline.win_rate(DEALS, Q1)
    assert result["total"] == {
        "won": 1,
        "lost": 1,
        "win_rate": 0.5,
        "average_sales_cycle_days": 30.0,
        "won_amount": {"EUR": "700.00"},
    }
    assert result["lost_by_reason"] == [{"reason": "too expensive", "lost": 1}]
    by_source = {row["source"]: row for row in result["by_source"]}
    assert by_source["referral"]["win_rate"] == 1.0 and by_source["trade_fair"]["win_rate"] == 0.0
    assert (
        pipeline.win_rate(DEALS, pipeline.Period(date(2025, 1, 1), date(2025, 2, 1)))["total"][
            "win_rate"
        ]
        is None
    )


# --- the 360 view ---------------------------------------------------------------------------


async def test_the_360_view_shows_the_customers_deals_and_their_weighted_value() -> None:
    store = RevisionStore()
    projector = Customer360Projector(store, NoRedirects(), InMemoryKeyStore())
    second = history(
        "d2",
        [
            opened("d2", "c1", "400.00", 25),
            OpportunityProbabilityOverridden(
                opportunity_id="d2", customer_id="c1", override=40, probability=40
            ),
        ],
        days=[1, 2],
    )
    third = history(
        "d3",
        [
            opened("d3", "c1", "50.00", 10),
            OpportunityLost(opportunity_id="d3", customer_id="c1", reason="no budget"),
        ],
        days=[1, 3],
    )
    await projector.handle([*D1[:3], *second, *third])
    sales = store.docs["c1"]["sales"]
    assert [(d["id"], d["status"], d.get("weighted_amount")) for d in sales["opportunities"]] == [
        ("d1", "open", "960.00"),  # 1200 x 80 %
        ("d2", "open", "160.00"),  # 400 x 40 %
        ("d3", "lost", None),
    ]
    assert sales["open_pipeline"] == {"EUR": "1120.00"}
    await projector.handle(D1[3:])
    assert store.docs["c1"]["sales"]["open_pipeline"] == {"EUR": "160.00"}  # d1 won


# --- the third layer: the learned probability -----------------------------------------------


def test_the_learned_probability_is_shown_and_prices_only_where_the_pipeline_says() -> None:
    closed = [
        deal(opportunity_id="w1", status="won", stage="negotiation", team="iberia", source="referral", probability=100),
        deal(opportunity_id="w2", status="won", stage="negotiation", team="iberia", source="web_form", probability=100),
        deal(opportunity_id="x1", status="lost", stage="proposal", team="nordics", source="web_form", probability=0),
    ]  # fmt: skip
    plain = deal(opportunity_id="p", amount="1000.00", probability=80, stage="negotiation",
                 source="referral", learned_pricing=False)  # fmt: skip
    learned = plain | {"opportunity_id": "l", "learned_pricing": True}
    overridden = learned | {"opportunity_id": "o", "probability_override": 35, "probability": 35}
    priced = {
        d["opportunity_id"]: d for d in pipeline.with_learned([*closed, plain, learned, overridden])
    }
    # P(won) 2/3; negotiation 2.1/2 vs 0.1/1; iberia 2.1/2 vs 0.1/1; referral 1.1/2 vs 0.1/1
    s_won = 2 / 3 * (2.1 / 2) ** 2 * (1.1 / 2)
    s_lost = 1 / 3 * 0.1**3
    expected = round(min(99.99, 100 * s_won / (s_won + s_lost)), 2)
    assert priced["p"]["learned"]["probability"] == expected == 99.92
    assert priced["p"]["probability"] == 80  # shown, not pricing
    assert priced["l"]["probability"] == expected  # its pipeline prices by it
    assert priced["o"]["probability"] == 35  # the rep's override comes first
    assert pipeline.weighted(priced["l"]) == Decimal("999.20")
    assert "learned" not in priced["w1"]  # closed deals are priced 100 / 0


def test_without_won_and_lost_history_the_stage_prices() -> None:
    alone = deal(opportunity_id="a", amount="100.00", probability=20, learned_pricing=True)
    [priced] = pipeline.with_learned([alone])
    assert priced["learned"] is None and priced["probability"] == 20
