"""Replay that auditors can trust: a rebuild equals the live read models, and a projector
killed mid-batch ends where a clean rebuild does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aiokafka import AIOKafkaConsumer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from crm_campaigns.domain.campaign import (
    CreateCampaign,
    DefineAudience,
    Launch,
    RecordCost,
    campaign_decider,
)
from crm_campaigns_contracts import events as mk
from crm_contacts_contracts import events as c
from crm_kernel import wire
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import DEFAULT_RETURN_REASONS
from crm_local.synthetic import registered, stream_of
from crm_projections.entrypoints.admin import rebuild_into
from crm_sales.domain.lead import prospect_id_of
from crm_sales_contracts import events as sales
from crm_sales_contracts.events import OrderLine, OrderPlaced
from crm_support.domain.case import (
    AnswerSurvey,
    AssignCase,
    OpenCase,
    Reply,
    Resolve,
    StartWork,
    WaitOnCustomer,
    case_decider,
)
from crm_support.domain.return_request import (
    ApproveReturn,
    ReceiveReturn,
    RequestReturn,
    ResolveReturn,
    return_decider,
)
from crm_support.domain.sla import DEFAULT_POLICIES
from crm_support_contracts import events as s
from crm_support_contracts.calendar import WorkingCalendar

from tests.support import (
    differences,
    group_caught_up,
    mongo,
    publisher,
    running_projections,
    settings_for,
    wait_for,
)

T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)


def history(customers: list[str]):
    """A small but varied history: registrations, contact points, orders, interactions,
    an activity, a support case assigned and handed over, a lead through its lifecycle, and
    a merge (of the case's customer) followed by an order for the merged id."""
    events = []
    for n, cid in enumerate(customers):
        events += registered(cid, n, "test", T0 + timedelta(minutes=n))
        for k in range(2):
            events += stream_of(
                [order(f"{cid}-{k}", cid, f"S{k}", "9.50")],
                f"order-{cid}-{k}",
                "shop",
                T0 + timedelta(hours=n, minutes=k),
            )
        interaction = c.InteractionLogged(
            interaction_id=f"i-{cid}",
            customer_id=cid,
            channel=c.InteractionChannel.EMAIL,
            direction=c.Direction.INBOUND,
            occurred_at=T0 + timedelta(days=n),
        )
        events += stream_of([interaction], f"interaction-{cid}", "mailer")
    call = c.ActivityScheduled(
        activity_id=f"a-{customers[0]}",
        customer_id=customers[0],
        owner="marta",
        kind=c.ActivityKind.CALL,
        title="Call",
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=15),
    )
    events += stream_of([call], f"activity-{customers[0]}", "test")
    case = {"case_id": f"s-{customers[0]}", "customer_id": customers[0]}
    events += stream_of(case_life(case), f"case-{customers[0]}", "desk", T0)
    events += stream_of(return_life(customers[0]), f"return-r-{customers[0]}", "desk", T0)
    rated = s.ProductRated(rating_id=f"p-{customers[0]}", customer_id=customers[0],
                           product_sku="S0", stars=4, review="private")  # fmt: skip
    events += stream_of([rated], f"rating-p-{customers[0]}", "shop", T0)
    events += stream_of(campaign_life(customers), f"marketing-campaign-k-{customers[0]}",
                        "marketer", T0)  # fmt: skip
    events += stream_of(lead_lifecycle(f"l-{customers[0]}"), f"lead-l-{customers[0]}", "web", T0)
    events += wrap(
        [c.CustomerMerged(customer_id=customers[0], survivor_id=customers[1])],
        source="crm.contacts",
        stream_id=f"customer-{customers[0]}",
        expected_version=2,
        metadata=Metadata(actor="test"),
    )
    late = order(f"{customers[0]}-late", customers[0], "L", "1.00")
    events += stream_of([late], f"order-{customers[0]}-late", "shop")
    return events


def case_life(case: dict[str, str]) -> list[DomainEvent]:
    """Opened under the high policy, handed over, answered late: breached and escalated, then
    waiting on the customer (its resolution clock paused) and resumed."""
    at = T0
    steps = [
        OpenCase(**case, kind=s.CaseKind.RETURN, priority=s.Priority.HIGH, channel="phone",
                 subject="Broken lamp", description="private", at=at,
                 sla=DEFAULT_POLICIES[1].terms(WorkingCalendar())),
        AssignCase(**case, assignee="marta"),
        AssignCase(**case, assignee="team-returns"),
        StartWork(**case, at=at + timedelta(days=3)),
        Reply(**case, reply_id="r1", author=s.ReplyAuthor.AGENT, body="private",
              at=at + timedelta(days=3, hours=1)),
        WaitOnCustomer(**case, at=at + timedelta(days=3, hours=2)),
        StartWork(**case, at=at + timedelta(days=4)),
        Resolve(**case, at=at + timedelta(days=5), nps=True),
        AnswerSurvey(**case, csat=2, nps=6, comment="private"),
    ]  # fmt: skip
    events: list[DomainEvent] = []
    for step in steps:
        events += case_decider.decide(case_decider.fold(events), step)
    return events


def campaign_life(customers: list[str]) -> list[DomainEvent]:
    """A campaign launched to the customers, one left out for no consent, with a cost."""
    campaign = f"k-{customers[0]}"
    excluded = (mk.Exclusion(customer_id=customers[-1], reason="no_consent"),)
    steps = [
        CreateCampaign(campaign_id=campaign, name="Winter", channel=mk.Channel.EMAIL, currency="EUR",
                       budget=Decimal("500.00")),
        DefineAudience(campaign_id=campaign, rules=mk.AudienceRules()),
        Launch(campaign_id=campaign, members=tuple(customers[:-1]), excluded=excluded,
               resolved_at=T0),
        RecordCost(campaign_id=campaign, cost_id="x1", amount=Decimal("120.00"), currency="EUR",
                   category=mk.CostCategory.MEDIA, incurred_on=T0.date()),
    ]  # fmt: skip
    events: list[DomainEvent] = []
    for step in steps:
        events += campaign_decider.decide(campaign_decider.fold(events), step)
    return events


def return_life(customer_id: str) -> list[DomainEvent]:
    """A return of an order's line, approved, received and refunded."""
    rid = f"r-{customer_id}"
    steps = [
        RequestReturn(return_id=rid, customer_id=customer_id, order_id=f"{customer_id}-0",
                      lines=(s.LineQuantity(line=0, quantity=1),), reason="defective",
                      reasons=DEFAULT_RETURN_REASONS),
        ApproveReturn(return_id=rid),
        ReceiveReturn(return_id=rid),
        ResolveReturn(return_id=rid, resolution=s.ReturnResolution.REFUND),
    ]  # fmt: skip
    events: list[DomainEvent] = []
    for step in steps:
        events += return_decider.decide(return_decider.fold(events), step)
    return events


def lead_lifecycle(lead_id: str) -> list[DomainEvent]:
    lead = {"lead_id": lead_id, "customer_id": prospect_id_of(lead_id)}
    return [
        sales.LeadCaptured(**lead, person_name="Ana", channel=sales.LeadChannel.WEB_FORM),
        sales.LeadAssigned(**lead, owner="marta"),
        sales.LeadWorkStarted(**lead),
        sales.LeadDisqualified(**lead, reason="no budget", note="private"),
        sales.LeadRecycled(**lead),
        sales.LeadQualified(**lead),
    ]


def order(order_id: str, customer_id: str, sku: str, price: str) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        total=Decimal(price),
        lines=(OrderLine(sku=sku, quantity=1, unit_price=Decimal(price)),),
    )


async def test_two_rebuilds_equal_the_live_read_models(infra, unique):
    settings = settings_for(infra, unique)
    customers = [str(uuid.uuid4()) for _ in range(4)]
    async with publisher(infra.kafka_bootstrap) as publish:
        await publish(history(customers))
    async with running_projections(settings) as service:
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            60,
            "live caught up",
        )
        survivor = await service.models.customers.get(customers[1])
        lead = await service.models.customers.get(prospect_id_of(f"l-{customers[0]}"))
    assert survivor["merged_from"] == [customers[0]]
    assert lead is None  # a lead is no customer: no 360 document, here or rebuilt (ADR 26)
    assert survivor["sales"]["orders_count"] == 5  # its own two, the merged two, the late one
    [case] = survivor["support"]["cases"]  # the merged customer's, handed over to a team
    assert (case["id"], case["assignee"]) == (f"s-{customers[0]}", "team-returns")

    first, second = f"t_{unique}_r1", f"t_{unique}_r2"
    for target in (first, second):
        progress = await rebuild_into(settings, target, switch=False, show=False)
        assert progress.done >= len(history(customers))
    client = mongo(infra)
    live = client[settings.database_for("projections")]
    for left, right in ((live, client[first]), (client[first], client[second])):
        assert await differences(left, right) == []
    await client.close()


async def test_a_projector_killed_mid_batch_ends_equal_to_a_clean_rebuild(infra, unique):
    settings = settings_for(infra, unique)
    customers = [str(uuid.uuid4()) for _ in range(3)]
    async with publisher(infra.kafka_bootstrap) as publish:
        await publish(history(customers))

    # First life: fetch a batch, write only the first of the three read models, die (no commit).
    async with running_projections(settings) as service:
        await service.broker.stop()
        consumer = AIOKafkaConsumer(
            *EVENT_TOPICS,
            bootstrap_servers=infra.kafka_bootstrap,
            group_id=settings.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        await consumer.start()
        batch = await consumer.getmany(timeout_ms=5000, max_records=500)
        envelopes = [wire.decode(r.headers, r.value) for rs in batch.values() for r in rs]
        await service.projectors.customer_360.handle(envelopes)
        await consumer.stop()

    async with running_projections(settings) as service:
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            60,
            "restart caught up",
        )
    target = f"t_{unique}_clean"
    await rebuild_into(settings, target, switch=False, show=False)
    client = mongo(infra)
    said = await differences(client[settings.database_for("projections")], client[target])
    await client.close()
    assert said == []


async def test_a_rebuild_equals_live_when_the_merged_id_gets_events_after_the_merge(infra, unique):
    """Live folds an order placed for the merged id after the merge onto the survivor; a
    rebuild may read it before the merge (another topic). The tombstones must not differ."""
    settings = settings_for(infra, unique)
    customers = [str(uuid.uuid4()) for _ in range(2)]
    merged = customers[0]
    async with running_projections(settings) as service:
        async with publisher(infra.kafka_bootstrap) as publish:
            await publish(history(customers))
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            60,
            "the merge projected",
        )
        assert (await service.models.customers.get(merged))["tombstone"]
        later = order(f"{merged}-after", merged, "A", "2.00")
        async with publisher(infra.kafka_bootstrap) as publish:
            await publish(stream_of([later], f"order-{merged}-after", "shop"))
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            60,
            "the later order projected",
        )
        survivor = await service.models.customers.get(customers[1])
    assert survivor["sales"]["orders_count"] == 6

    target = f"t_{unique}_after"
    await rebuild_into(settings, target, switch=False, show=False)
    client = mongo(infra)
    rebuilt = await client[target]["customer_360"].find_one({"_id": merged})
    assert f"order-{merged}-after" not in rebuilt["applied"]
    said = await differences(client[settings.database_for("projections")], client[target])
    await client.close()
    assert said == []
