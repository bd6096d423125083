"""Campaigns (crm_campaigns.domain.campaign and .audience, ADR 52): a campaign's life and costs;
the facts audiences are chosen by, learnt once and in any order of redelivery; an audience
resolved with each customer left out for a reason (excluded, suppressed, no marketing opt-in
on the campaign's channel, erased, merged), recorded in chunks of at most 1,000."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from crm_campaigns.domain.audience import blank, learn, resolve
from crm_campaigns.domain.campaign import (
    Cancel,
    CreateCampaign,
    DefineAudience,
    Launch,
    Pause,
    RecordCost,
    Resume,
    campaign_decider,
)
from crm_campaigns_contracts.events import (
    MAX_CHUNK,
    AudienceRules,
    CampaignAudienceResolved,
    CampaignLaunched,
    CampaignStatus,
    Channel,
    CostCategory,
    CustomerSuppressed,
    Exclusion,
)
from crm_contacts_contracts import events as contacts
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import OrderLine, OrderPlaced

K = "k1"
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
CREATE = CreateCampaign(campaign_id=K, name="Winter lamps", channel=Channel.EMAIL,
                        currency="EUR", budget=Decimal("500.00"))  # fmt: skip


def run(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for command in commands:
        events += campaign_decider.decide(campaign_decider.fold(events), command)
    return events


def launch(members: int = 1) -> Launch:
    return Launch(campaign_id=K, members=tuple(f"c{n}" for n in range(members)), excluded=(),
                  resolved_at=AT)  # fmt: skip


AUDIENCE = DefineAudience(campaign_id=K, rules=AudienceRules())


def test_a_campaign_is_launched_paused_resumed_and_takes_costs_in_its_currency() -> None:
    events = run(CREATE, AUDIENCE, launch(), Pause(campaign_id=K), Resume(campaign_id=K))
    assert campaign_decider.fold(events).status is CampaignStatus.ACTIVE
    cost = RecordCost(campaign_id=K, cost_id="x1", amount=Decimal("120.00"), currency="EUR",
                      category=CostCategory.MEDIA, incurred_on=date(2026, 12, 1))  # fmt: skip
    events += campaign_decider.decide(campaign_decider.fold(events), cost)
    assert campaign_decider.decide(campaign_decider.fold(events), cost) == []  # a retry
    assert campaign_decider.fold(events).spent == Decimal("120.00")
    with pytest.raises(DomainError, match="counts in EUR"):
        campaign_decider.decide(campaign_decider.fold(events),
                                cost.model_copy(update={"cost_id": "x2", "currency": "USD"}))  # fmt: skip


def test_illegal_steps_are_refused_naming_the_status() -> None:
    with pytest.raises(ConflictError, match="has no audience: define it first"):
        run(CREATE, launch())
    with pytest.raises(ConflictError, match="is planning: it cannot pause"):
        run(CREATE, Pause(campaign_id=K))
    with pytest.raises(ConflictError, match="is cancelled: it cannot be launched"):
        run(CREATE, AUDIENCE, Cancel(campaign_id=K), launch())
    with pytest.raises(ConflictError, match="it was launched"):
        run(CREATE, AUDIENCE, launch(), AUDIENCE.model_copy(update={"exclude": ("c9",)}))


def test_a_large_audience_is_recorded_in_chunks_of_at_most_a_thousand() -> None:
    events = run(CREATE, AUDIENCE, launch(2_345))
    launched, *chunks = events[2:]
    assert isinstance(launched, CampaignLaunched) and launched.chunks == 3
    sizes = [len(c.members) for c in chunks if isinstance(c, CampaignAudienceResolved)]
    assert sizes == [MAX_CHUNK, MAX_CHUNK, 345]
    assert campaign_decider.fold(events).members == 2_345  # the recorded audience


def stream(stream_id: str, *events: DomainEvent, at: datetime = AT) -> list[EventEnvelope]:
    return wrap(list(events), source="t", stream_id=stream_id, expected_version=0,
                metadata=Metadata(actor="t"), now=at)  # fmt: skip


def known(customer: str, *envelopes: EventEnvelope) -> dict[str, Any]:
    facts = blank(customer)
    for envelope in envelopes:
        facts = learn(facts, envelope)
    return facts


def registered(customer: str, kind: str = "consumer") -> contacts.CustomerRegistered:
    return contacts.CustomerRegistered(customer_id=customer, kind=contacts.PartyKind.PERSON,
                                       customer_type=kind, name="pii:v1:x")  # fmt: skip


def opted(customer: str, given: bool, at: datetime) -> DomainEvent:
    fields = {"customer_id": customer, "channel": contacts.ConsentChannel.EMAIL,
              "purpose": contacts.ConsentPurpose.MARKETING, "source": "web"}  # fmt: skip
    if given:
        return contacts.ConsentGiven(**fields, given_at=at)
    return contacts.ConsentWithdrawn(**fields, withdrawn_at=at)


def test_facts_are_learnt_once_and_the_last_word_on_consent_wins() -> None:
    history = stream("customer-c1", registered("c1"), opted("c1", True, AT),
                     opted("c1", False, AT + timedelta(days=1)))  # fmt: skip
    facts = known("c1", *history)
    assert facts["marketing"]["email"]["given"] is False
    assert known("c1", *history, *history) == facts  # redelivered: the same
    # A withdrawal said later but recorded earlier still wins over an older opt-in.
    late = stream("consent-import", opted("c1", True, AT - timedelta(days=5)))
    assert learn(facts, late[0])["marketing"]["email"]["given"] is False


def test_an_audience_leaves_each_customer_out_with_a_reason() -> None:
    order = OrderPlaced(order_id="o1", customer_id="c1", currency="EUR", total=Decimal("30"),
                        lines=(OrderLine(sku="LAMP-40", quantity=1, unit_price=Decimal("30")),))  # fmt: skip
    facts = [
        known("c1", *stream("customer-c1", registered("c1"), opted("c1", True, AT)),
              *stream("order-o1", order, at=AT - timedelta(days=10))),
        known("c2", *stream("customer-c2", registered("c2"))),  # never opted in
        known("c3", *stream("customer-c3", registered("c3"), opted("c3", True, AT)),
              *stream("suppression-c3", CustomerSuppressed(customer_id="c3"))),
        known("c4", *stream("customer-c4", registered("c4", "business"), opted("c4", True, AT))),
        known("c5", *stream("customer-c5", registered("c5"), opted("c5", True, AT))),
    ]  # fmt: skip
    everyone = resolve(AudienceRules(), (), ("c5",), Channel.EMAIL, facts, AT)
    assert everyone.members == ("c1", "c4")
    assert everyone.excluded == (
        Exclusion(customer_id="c2", reason="no_consent"),
        Exclusion(customer_id="c3", reason="suppressed"),
        Exclusion(customer_id="c5", reason="excluded"),
    )
    buyers = AudienceRules(bought=("LAMP-40",), purchased_within_days=30)
    assert resolve(buyers, (), (), Channel.EMAIL, facts, AT).members == ("c1",)
    consumers = AudienceRules(customer_types=("consumer",))
    # On the radio, nobody is contacted, so no consent applies; suppression still does.
    on_air = resolve(consumers, ("c9",), (), Channel.RADIO_TV, facts, AT)
    assert on_air.members == ("c1", "c2", "c5")
    assert [e.reason for e in on_air.excluded] == ["suppressed", "unknown"]


def test_the_results_read_model_counts_the_audience_and_the_cost_once() -> None:
    from crm_projections.domain import campaign_results

    excluded = (Exclusion(customer_id="x1", reason="no_consent"),)
    events = run(CREATE, AUDIENCE, Launch(campaign_id=K, members=("c1", "c2"), excluded=excluded,
                                          resolved_at=AT),
                 RecordCost(campaign_id=K, cost_id="x1", amount=Decimal("120.00"),
                            currency="EUR", category=CostCategory.MEDIA,
                            incurred_on=date(2026, 12, 1)))  # fmt: skip
    envelopes = stream(f"marketing-campaign-{K}", *events)
    doc = campaign_results.fold(campaign_results.empty(K), envelopes)
    assert campaign_results.fold(doc, envelopes) == doc  # redelivered: the same
    assert (doc["status"], doc["cost"], doc["budget_left"]) == ("active", "120.00", "380.00")
    assert doc["audience"] == {"members": 2, "excluded": {"no_consent": 1}}
