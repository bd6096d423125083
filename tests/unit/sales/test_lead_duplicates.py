"""A lead's contact points and possible duplicates (ADR 28), given/when/then: the capture
normalises e-mail and phone (or refuses them, naming the field); RecordLeadDuplicates records
each lookalike once, never the lead itself; the capture use case finds open leads and customers
in the blind index, and from the ingest topic captures nothing twice; contacts' events teach
the index customers' e-mails and phones."""

from __future__ import annotations

from typing import Any

import pytest
from crm_contacts_contracts.events import (
    ContactPointAdded,
    ContactPointKind,
    ContactPointRemoved,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    CustomerRenamed,
    CustomerType,
    PartyKind,
)
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import personal_fields
from crm_kernel.privacy import seal_all
from crm_kernel.relay import Relay
from crm_sales.application.customer_points import CustomerPoints
from crm_sales.application.lead_capture import LeadCapture, LeadDuplicate
from crm_sales.domain.customer_points import (
    CustomerGone,
    PointAdded,
    PointRemoved,
    changes_of,
)
from crm_sales.domain.lead import (
    AssignLead,
    CaptureLead,
    DisqualifyLead,
    EraseLead,
    RecordLeadDuplicates,
    lead_decider,
    lead_id_for,
    stream_of,
)
from crm_sales.entrypoints.ingest import NOT_PERSONAL, IngestedLead
from crm_sales_contracts.events import (
    LeadCaptured,
    LeadChannel,
    LeadDuplicateReason,
    LeadLookalike,
    LeadPossibleDuplicateFound,
)

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.fakes import InMemoryLeadIndex
from tests.unit.sales.test_lead import CAPTURE, CAPTURED, CUSTOMER, DISQUALIFIED, LEAD, then

EMAIL, PHONE = LeadDuplicateReason.SAME_EMAIL, LeadDuplicateReason.SAME_PHONE
OTHER_CUSTOMER = "c-9"
META = Metadata(actor="test")


def found(other: LeadLookalike, other_id: str, reason: LeadDuplicateReason) -> Any:
    return LeadPossibleDuplicateFound(
        lead_id=LEAD, customer_id=CUSTOMER, other=other, other_id=other_id, reason=reason
    )


# --- normalised on capture ------------------------------------------------------------------


def test_the_capture_stores_the_email_lower_cased_and_the_phone_in_e164() -> None:
    messy = CAPTURE.model_copy(
        update={"email": " Ana.Ruiz@Ruiz.EXAMPLE ", "phone": "+34 600 00 00 01"}
    )
    [event] = then([], messy)
    assert isinstance(event, LeadCaptured)
    assert (event.email, event.phone) == ("ana.ruiz@ruiz.example", "+34600000001")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email", "ana at ruiz", "not a valid e-mail address"),
        ("phone", "600 000 001", "use international format with the country code"),
        ("phone", "+34 1", "not a valid phone number"),
    ],
)
def test_a_bad_email_or_phone_is_refused_naming_its_field(
    field: str, value: str, says: str
) -> None:
    with pytest.raises(DomainError, match=says) as refused:
        then([], CAPTURE.model_copy(update={field: value}))
    assert refused.value.status_code == 422 and refused.value.field == field


# --- RecordLeadDuplicates -------------------------------------------------------------------


def test_each_lookalike_is_recorded_once_with_the_first_reason_found() -> None:
    command = RecordLeadDuplicates(
        lead_id=LEAD,
        found=(
            (LeadLookalike.CUSTOMER, OTHER_CUSTOMER, EMAIL),
            (LeadLookalike.LEAD, "l2", PHONE),
            (LeadLookalike.CUSTOMER, OTHER_CUSTOMER, PHONE),
        ),
    )
    assert then([CAPTURED], command) == [
        found(LeadLookalike.CUSTOMER, OTHER_CUSTOMER, EMAIL),
        found(LeadLookalike.LEAD, "l2", PHONE),
    ]


def test_a_lookalike_reported_already_records_nothing_and_a_new_one_is_recorded() -> None:
    reported = found(LeadLookalike.LEAD, "l2", PHONE)
    again = RecordLeadDuplicates(
        lead_id=LEAD,
        found=((LeadLookalike.LEAD, "l2", PHONE), (LeadLookalike.LEAD, "l3", EMAIL)),
    )
    assert then([CAPTURED, reported], again) == [found(LeadLookalike.LEAD, "l3", EMAIL)]
    assert lead_decider.fold([CAPTURED, reported]).duplicates == {"l2"}


def test_a_lead_is_never_its_own_duplicate_nor_its_future_customers() -> None:
    command = RecordLeadDuplicates(
        lead_id=LEAD,
        found=((LeadLookalike.LEAD, LEAD, EMAIL), (LeadLookalike.CUSTOMER, CUSTOMER, EMAIL)),
    )
    assert then([CAPTURED], command) == []


def test_duplicates_are_recorded_in_any_status_and_move_nothing() -> None:
    command = RecordLeadDuplicates(lead_id=LEAD, found=((LeadLookalike.LEAD, "l2", EMAIL),))
    [event] = then([CAPTURED, DISQUALIFIED], command)
    state = lead_decider.fold([CAPTURED, DISQUALIFIED, event])
    assert state.status == lead_decider.fold([CAPTURED, DISQUALIFIED]).status


def test_duplicates_of_a_lead_never_captured_or_erased_are_refused() -> None:
    command = RecordLeadDuplicates(lead_id=LEAD, found=((LeadLookalike.LEAD, "l2", EMAIL),))
    with pytest.raises(NotFoundError):
        then([], command)
    erased = then([CAPTURED], EraseLead(lead_id=LEAD, requested_by="DPO-1", reason="GDPR"))
    with pytest.raises(GoneError):
        then([CAPTURED, *erased], command)


def test_a_duplicate_report_holds_no_personal_value() -> None:
    assert personal_fields(LeadPossibleDuplicateFound) == ()
    assert set(LeadPossibleDuplicateFound.model_fields) == {
        "lead_id", "customer_id", "other", "other_id", "reason"
    }  # fmt: skip


# --- the capture use case -------------------------------------------------------------------


def capture_app() -> tuple[
    LeadCapture, InMemoryLeadIndex, CommandHandler[Any, Any], InMemoryEventStore
]:
    store, keys = InMemoryEventStore(), InMemoryKeyStore()
    handler: CommandHandler[Any, Any] = CommandHandler(
        source="crm.sales",
        decider=lead_decider,
        store=store,
        keys=keys,
        relay=Relay(store, InMemoryPublisher()),
    )
    index = InMemoryLeadIndex()
    return LeadCapture(handler, index), index, handler, store


def lead(lead_id: str, **fields: Any) -> CaptureLead:
    return CaptureLead(lead_id=lead_id, person_name="Ana", channel=LeadChannel.WEB_FORM, **fields)


def types(store: InMemoryEventStore, lead_id: str) -> list[str]:
    return [
        e.type.split(".")[2]
        for c in store.commits
        if c.stream_id == stream_of(lead_id)
        for e in c.events
    ]


async def test_a_lead_like_an_open_lead_and_a_customer_is_reported_and_recorded() -> None:
    app, index, _, store = capture_app()
    await app.capture(lead("l1", phone="+34 600 000 001"), META)
    await index.learn_customers([PointAdded(OTHER_CUSTOMER, "p1", "email", "ana@ruiz.example")])
    outcome = await app.capture(lead("l2", email="ANA@ruiz.example", phone="+34600000001"), META)
    assert outcome.possible_duplicates == [
        LeadDuplicate(LeadLookalike.CUSTOMER, OTHER_CUSTOMER, EMAIL),
        LeadDuplicate(LeadLookalike.LEAD, "l1", PHONE),
    ]
    assert types(store, "l2") == ["LeadCaptured", *2 * ["LeadPossibleDuplicateFound"]]
    assert len(outcome.result.event_ids) == 3 and outcome.result.version == 3
    assert index.holding("l2") == {("email", "ana@ruiz.example"), ("phone", "+34600000001")}


async def test_a_disqualified_or_erased_lead_is_no_duplicate_to_report() -> None:
    app, _, handler, _ = capture_app()
    await app.capture(lead("l1", email="a@ruiz.example", owner="marta"), META)
    await app.capture(lead("l2", email="a@ruiz.example"), META)  # reports l1
    disqualify = DisqualifyLead(lead_id="l1", reason="no need", reasons=("no need",))
    await handler.handle(stream_of("l1"), disqualify, META)
    await handler.handle(
        stream_of("l2"), EraseLead(lead_id="l2", requested_by="DPO", reason="x"), META
    )
    outcome = await app.capture(lead("l3", email="a@ruiz.example"), META)
    assert outcome.possible_duplicates == []


async def test_a_lead_without_email_or_phone_is_captured_without_a_report() -> None:
    app, index, _, store = capture_app()
    outcome = await app.capture(lead("l1"), META)
    assert outcome.possible_duplicates == [] and types(store, "l1") == ["LeadCaptured"]
    assert index.holding("l1") == set()


async def test_an_ingested_lead_delivered_again_records_nothing() -> None:
    app, _, _, store = capture_app()
    await app.capture(lead("l1", email="a@ruiz.example"), META)
    first = await app.ingest(lead("l2", email="a@ruiz.example"), META)
    again = await app.ingest(lead("l2", email="a@ruiz.example"), META)
    assert len(first.result.event_ids) == 2 and again.result.event_ids == []
    assert types(store, "l2") == ["LeadCaptured", "LeadPossibleDuplicateFound"]


async def test_a_redelivery_finishes_a_report_cut_short() -> None:
    app, index, handler, store = capture_app()
    await app.capture(lead("l1", email="a@ruiz.example"), META)
    await handler.handle(stream_of("l2"), lead("l2", email="a@ruiz.example"), META)  # crashed here
    again = await app.ingest(lead("l2", email="a@ruiz.example"), META)
    assert [d.other_id for d in again.possible_duplicates] == ["l1"]
    assert types(store, "l2") == ["LeadCaptured", "LeadPossibleDuplicateFound"]
    assert ("email", "a@ruiz.example") in index.holding("l2")


async def test_an_erased_lead_delivered_again_records_nothing() -> None:
    app, _, handler, store = capture_app()
    await app.ingest(lead("l1", email="a@ruiz.example"), META)
    await handler.handle(
        stream_of("l1"), EraseLead(lead_id="l1", requested_by="DPO", reason="x"), META
    )
    again = await app.ingest(lead("l1", email="a@ruiz.example"), META)
    assert again.result.event_ids == [] and types(store, "l1") == ["LeadCaptured", "LeadErased"]


async def test_a_second_capture_over_http_is_still_refused() -> None:
    app, _, _, _ = capture_app()
    await app.capture(lead("l1"), META)
    with pytest.raises(DomainError, match="captured already"):
        await app.capture(lead("l1"), META)


# --- the ingest message ---------------------------------------------------------------------


def test_an_ingested_lead_is_captured_under_the_id_its_sender_names() -> None:
    message = IngestedLead.model_validate(
        {"source": "webform", "external_id": "f-1", "person_name": "Ana", "channel": "web_form",
         "occurred_at": "2026-11-30T10:00:00Z", "utm_medium": "email"}
    )  # fmt: skip
    command = message.command(lead_id_for("webform", "f-1"))
    assert command == CaptureLead(
        lead_id=lead_id_for("webform", "f-1"), person_name="Ana", channel=LeadChannel.WEB_FORM
    )


def test_a_rejected_lead_keeps_no_field_that_may_be_personal() -> None:
    kept = set(NOT_PERSONAL)
    assert kept <= set(IngestedLead.model_fields)
    assert not kept & set(personal_fields(LeadCaptured))
    assert not kept & {"external_id", "owner"}  # hashed; a salesperson's handle


# --- customers' points, from contacts' events -----------------------------------------------

ADDED = ContactPointAdded(
    customer_id="c1", point_id="p1", kind=ContactPointKind.EMAIL, value="a@b.example"
)


@pytest.mark.parametrize(
    ("event", "changes"),
    [
        (ADDED, [PointAdded("c1", "p1", "email", "a@b.example")]),
        (ADDED.model_copy(update={"kind": ContactPointKind.WHATSAPP, "value": "+34600000001"}),
         [PointAdded("c1", "p1", "phone", "+34600000001")]),
        (ADDED.model_copy(update={"kind": ContactPointKind.WEBSITE, "value": "https://b.example"}), []),
        (ADDED.model_copy(update={"value": "[erased]"}), []),
        (ContactPointRemoved(customer_id="c1", point_id="p1"), [PointRemoved("c1", "p1")]),
        (CustomerErased(customer_id="c1", requested_by="DPO", reason="x"), [CustomerGone("c1")]),
        (CustomerMerged(customer_id="c1", survivor_id="c2"), [CustomerGone("c1")]),
        (CustomerRenamed(customer_id="c1", name="Ana"), []),
        (CustomerRegistered(customer_id="c1", kind=PartyKind.PERSON, customer_type=CustomerType.CONSUMER,
                            name="Ana", email="A@B.example", phone="+34 600 000 001"),
         [PointAdded("c1", "registered-email", "email", "a@b.example"),
          PointAdded("c1", "registered-phone", "phone", "+34600000001")]),
    ],
    ids=["email", "whatsapp", "website", "erased", "removed", "erased-customer", "merged",
         "renamed", "early-registration"],
)  # fmt: skip
def test_contacts_events_change_the_customers_in_the_index(event: Any, changes: list[Any]) -> None:
    assert changes_of(event) == changes


async def test_sealed_contacts_events_are_opened_with_the_vault_and_learnt() -> None:
    keys, index = InMemoryKeyStore(), InMemoryLeadIndex()
    events = [
        ADDED,
        ADDED.model_copy(
            update={"point_id": "p2", "kind": ContactPointKind.MOBILE, "value": "+34600000001"}
        ),
        ContactPointRemoved(customer_id="c1", point_id="p2"),
    ]
    envelopes = wrap(
        events, source="crm.contacts", stream_id="customer-c1", expected_version=0, metadata=META
    )
    sealed = await seal_all(envelopes, keys)
    assert "a@b.example" not in str(sealed[0].data)
    points = CustomerPoints(index, keys)
    await points.learn(sealed)
    await points.learn(sealed)  # redelivered: the same
    assert index.holding("c1") == {("email", "a@b.example")}
    assert (await index.lookalikes("email", "a@b.example")).customers == ["c1"]
    erased = wrap([CustomerErased(customer_id="c1", requested_by="DPO", reason="x")],
                  source="crm.contacts", stream_id="customer-c1", expected_version=3, metadata=META)  # fmt: skip
    await points.learn(erased)
    assert index.holding("c1") == set()


async def test_a_command_between_the_capture_and_its_report_does_not_turn_it_into_a_409() -> None:
    app, _, handler, store = capture_app()
    await app.capture(lead("l1", email="a@ruiz.example"), META)
    real = handler.handle
    calls: list[Any] = []

    async def racing(stream: str, command: Any, metadata: Metadata, *args: Any) -> Any:
        calls.append(command)
        if isinstance(command, RecordLeadDuplicates) and len(calls) == 2:
            # Someone assigns the lead between the report's read and its append.
            await real(stream, AssignLead(lead_id="l2", owner="marta"), metadata)
            raise ConflictError("stream lead-l2 is at version 2, not 1")
        return await real(stream, command, metadata, *args)

    handler.handle = racing  # type: ignore[method-assign]
    outcome = await app.capture(lead("l2", email="a@ruiz.example"), META)
    assert [d.other_id for d in outcome.possible_duplicates] == ["l1"]
    assert types(store, "l2") == ["LeadCaptured", "LeadAssigned", "LeadPossibleDuplicateFound"]


async def test_a_lead_closed_since_its_capture_is_not_reported_on_redelivery() -> None:
    app, _, handler, store = capture_app()
    await app.capture(lead("l1", email="a@ruiz.example"), META)
    await handler.handle(stream_of("l2"), lead("l2", email="a@ruiz.example", owner="m"), META)
    await handler.handle(
        stream_of("l2"), DisqualifyLead(lead_id="l2", reason="x", reasons=("x",)), META
    )
    again = await app.ingest(lead("l2", email="a@ruiz.example", owner="m"), META)
    assert again.possible_duplicates == [] and types(store, "l2") == [
        "LeadCaptured",
        "LeadDisqualified",
    ]
