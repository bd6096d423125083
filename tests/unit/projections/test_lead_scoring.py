"""Lead scores that explain themselves (ADR 31), checked by hand: the rules' points and decay,
the learned probability against Odoo's naive Bayes computed by hand, and the leads read
model's fold."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm_campaigns_contracts.events import CampaignResponseRecorded, Channel, ResponseKind
from crm_kernel.domain.envelope import Metadata, wrap
from crm_projections.domain import lead_scoring, leads
from crm_sales_contracts.events import LeadScoreOverridden
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.projections.test_customer_360 import T0, envelopes
from tests.unit.sales.test_lead import (
    ASSIGNED,
    CAPTURED,
    CUSTOMER,
    DISQUALIFIED,
    QUALIFIED,
    RECYCLED,
    WORKING,
    converted,
)


def lead(**fields: Any) -> dict[str, Any]:
    return (
        leads.empty(fields.pop("_id", "l1"))
        | {
            "status": "working",
            "channel": "referral",
            "given": ["email", "person", "phone"],
            "last_activity_at": T0.isoformat(),
        }
        | fields
    )


def at(days: float) -> str:
    return (T0 + timedelta(days=days)).isoformat()


# --- the read model -------------------------------------------------------------------------


def test_the_leads_read_model_keeps_what_scoring_reads_and_no_personal_value() -> None:
    history = envelopes("lead-l1", "crm.sales", [CAPTURED, ASSIGNED, WORKING, DISQUALIFIED], T0)
    doc = leads.fold(leads.empty("l1"), history)
    assert {k: doc[k] for k in ("status", "outcome", "channel", "given", "owner")} == {
        "status": "disqualified",
        "outcome": "lost",
        "channel": "trade_fair",
        "given": ["company", "email", "interest", "person", "phone", "value"],
        "owner": "marta",
    }
    assert "Ana" not in str(doc) and "ruiz" not in str(doc).lower()
    assert leads.fold(doc, history) == doc  # redelivered: nothing changes
    more = envelopes(
        "lead-l1",
        "crm.sales",
        [CAPTURED, ASSIGNED, WORKING, DISQUALIFIED, RECYCLED, QUALIFIED, converted()],
        T0,
    )
    won = leads.fold(doc, more[4:])
    assert (won["status"], won["outcome"], won["converted_into"]) == ("converted", "won", CUSTOMER)


# --- rules ----------------------------------------------------------------------------------


def test_the_rules_add_points_per_attribute_and_behaviour_and_name_each() -> None:
    clicks = wrap(
        [
            CampaignResponseRecorded(
                campaign_id="k",
                customer_id=CUSTOMER,
                response=ResponseKind.CLICKED,
                channel=Channel.EMAIL,
                responded_at=T0,
            )
            for _ in range(4)
        ],
        source="crm.campaigns",
        stream_id="responses-k",
        expected_version=0,
        metadata=Metadata(actor="t", occurred_at=T0 + timedelta(days=2)),
    )
    done, last = lead_scoring.behaviours(clicks)
    assert done == {"campaign click": 4} and last == at(2)
    scored = lead_scoring.rule_score(lead(), done, last, at(3))
    # referral 15 + email 10 + phone 10 + 3 clicks counted x 5
    assert scored["score"] == 50
    assert scored["contributions"] == [
        {"points": 15, "why": "channel referral"},
        {"points": 15, "why": "3 campaign clicks"},
        {"points": 10, "why": "email given"},
        {"points": 10, "why": "phone given"},
    ]


@pytest.mark.parametrize(("idle_days", "decay"), [(29, 0), (30, -5), (65, -10), (400, -30)])
def test_the_score_decays_for_every_30_days_without_activity(idle_days: int, decay: int) -> None:
    scored = lead_scoring.rule_score(lead(), {}, None, at(idle_days))
    assert scored["score"] == 35 + decay
    named = [c for c in scored["contributions"] if c["why"].startswith("no activity")]
    assert [c["points"] for c in named] == ([decay] if decay else [])


def test_the_score_stays_within_0_and_100() -> None:
    poor = lead(channel="other", given=["person"])
    assert lead_scoring.rule_score(poor, {}, None, at(400))["score"] == 0


# --- learned --------------------------------------------------------------------------------


def test_the_learned_probability_is_odoos_naive_bayes_by_hand() -> None:
    history = [
        lead(_id="w1", outcome="won", channel="referral"),
        lead(_id="w2", outcome="won", channel="referral", given=["person"]),
        lead(_id="w3", outcome="won", channel="web_form"),
        lead(_id="x1", outcome="lost", channel="web_form", given=["person"]),
        lead(_id="x2", outcome="lost", channel="web_form"),
    ]
    found = lead_scoring.learned_probability(lead(), history)
    assert found is not None and (found["won"], found["lost"]) == (3, 2)
    # P(won) 3/5; channel referral 2.1/3 vs 0.1/2; email given 2.1/3 vs 1.1/2; phone the same;
    # company missing 3.1/3 vs 2.1/2; campaign no 3.1/3 vs 2.1/2.
    s_won = 3 / 5 * (2.1 / 3) * (2.1 / 3) ** 2 * (3.1 / 3) ** 2
    s_lost = 2 / 5 * (0.1 / 2) * (1.1 / 2) ** 2 * (2.1 / 2) ** 2
    assert found["probability"] == round(100 * s_won / (s_won + s_lost), 2) == 97.05
    channel = next(c for c in found["contributions"] if c["variable"] == "channel")
    assert channel == {"variable": "channel", "value": "referral", "likelihood_ratio": 14.0}


def test_no_learned_probability_without_won_and_lost_history() -> None:
    assert lead_scoring.learned_probability(lead(), [lead(_id="w", outcome="won")]) is None


def test_the_probability_is_clamped_away_from_0_and_100() -> None:
    won = [lead(_id=f"w{i}", outcome="won") for i in range(400)]
    lost = [lead(_id="x", outcome="lost", channel="other", given=[], campaign_id="k")]
    found = lead_scoring.learned_probability(lead(), won + lost)
    assert found is not None and found["probability"] == 99.99


def test_the_reps_override_is_kept_beside_the_computed_score() -> None:
    overridden = LeadScoreOverridden(lead_id="l1", customer_id=CUSTOMER, score=80)
    history = envelopes("lead-l1", "crm.sales", [CAPTURED, overridden], T0)
    doc = leads.fold(leads.empty("l1"), history)
    assert doc["score_override"] == 80 and doc["last_activity_at"] == T0.isoformat()
    assert datetime.fromisoformat(doc["captured_at"]).tzinfo == UTC


LIFE = envelopes(
    "lead-l1",
    "crm.sales",
    [CAPTURED, ASSIGNED, WORKING, DISQUALIFIED, RECYCLED, QUALIFIED, converted()],
    T0,
)


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=7))
def test_the_leads_fold_is_idempotent_and_order_tolerant(rng: random.Random, batch: int) -> None:
    """A conversion onto an existing customer travels on that customer's partition: any
    event of the lead may come first, or twice."""
    delivered = [*LIFE, *rng.sample(LIFE, k=rng.randint(0, len(LIFE)))]
    rng.shuffle(delivered)
    doc = leads.empty("l1")
    for start in range(0, len(delivered), batch):
        doc = leads.fold(doc, delivered[start : start + batch])
    assert doc == leads.fold(leads.empty("l1"), LIFE)
    assert (doc["status"], doc["outcome"], doc["owner"]) == ("converted", "won", "marta")
