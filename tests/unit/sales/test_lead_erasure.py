"""Erasing a lead that never converted (ADR 26): the decider records it from any status and
refuses everything after with 410; the use case shreds the key the lead's personal data is
sealed under, and finishes a shredding cut short when asked again."""

from __future__ import annotations

from typing import Any

import pytest
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError, NotFoundError
from crm_kernel.domain.events import ERASED, personal_fields
from crm_kernel.privacy import unseal_all
from crm_kernel.relay import Relay
from crm_sales.application.lead_erasure import LeadErasure
from crm_sales.domain.lead import (
    AssignLead,
    EraseLead,
    QualifyLead,
    lead_decider,
    stream_of,
)
from crm_sales_contracts.events import LeadErased

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.fakes import InMemoryLeadIndex
from tests.unit.sales.test_lead import (
    ASSIGNED,
    CAPTURE,
    CAPTURED,
    CUSTOMER,
    DISQUALIFIED,
    LEAD,
    QUALIFIED,
    WORKING,
    then,
)

ERASE = EraseLead(lead_id=LEAD, requested_by="the data subject, ticket DPO-9", reason="GDPR")
ERASED_EVENT = LeadErased(
    lead_id=LEAD, customer_id=CUSTOMER, requested_by=ERASE.requested_by, reason="GDPR"
)
META = Metadata(actor="test")


@pytest.mark.parametrize(
    "history",
    [[CAPTURED], [CAPTURED, ASSIGNED, WORKING], [CAPTURED, ASSIGNED, WORKING, QUALIFIED],
     [CAPTURED, DISQUALIFIED]],
    ids=["new", "working", "qualified", "disqualified"],
)  # fmt: skip
def test_a_lead_is_erased_from_any_status(history: list[Any]) -> None:
    assert then(history, ERASE) == [ERASED_EVENT]


def test_an_erasure_holds_no_personal_data() -> None:
    assert personal_fields(LeadErased) == ()


def test_after_its_erasure_every_command_on_the_lead_is_refused_with_410() -> None:
    for command in (ERASE, AssignLead(lead_id=LEAD, owner="bob"), QualifyLead(lead_id=LEAD)):
        with pytest.raises(GoneError, match="was erased"):
            then([CAPTURED, ASSIGNED, ERASED_EVENT], command)


def test_a_lead_never_captured_is_not_found_to_erase() -> None:
    with pytest.raises(NotFoundError):
        then([], ERASE)


def test_evolve_forgets_the_reason_and_note_of_an_erased_lead() -> None:
    state = lead_decider.fold([CAPTURED, DISQUALIFIED, ERASED_EVENT])
    assert state.erased and state.reason is None and state.note is None


def leads(store: InMemoryEventStore, keys: InMemoryKeyStore) -> CommandHandler[Any, Any]:
    return CommandHandler(
        source="crm.sales",
        decider=lead_decider,
        store=store,
        keys=keys,
        relay=Relay(store, InMemoryPublisher()),
    )


async def test_the_erasure_shreds_the_key_and_the_leads_data_reads_as_erased() -> None:
    store, keys = InMemoryEventStore(), InMemoryKeyStore()
    handler = leads(store, keys)
    await handler.handle(stream_of(LEAD), CAPTURE, META)
    index = InMemoryLeadIndex()
    await index.add_lead(LEAD, "email", "ana@ruiz.example")
    erasure = LeadErasure(handler, keys, index)
    result = await erasure.erase(LEAD, ERASE.requested_by, ERASE.reason, META)
    assert result.version == 2
    assert await keys.is_erased(CUSTOMER)
    assert index.holding(LEAD) == set()  # no longer linked to lookalikes (ADR 28)
    captured = (await unseal_all(await store.read_stream(stream_of(LEAD)), keys))[0]
    assert captured.data["person_name"] == ERASED and captured.data["notes"] == ERASED
    assert captured.data["channel"] == "trade_fair"  # not personal: kept
    with pytest.raises(GoneError):
        await handler.handle(stream_of(LEAD), AssignLead(lead_id=LEAD, owner="bob"), META)


async def test_asked_again_the_erasure_finishes_a_shredding_cut_short_and_answers_410() -> None:
    store, keys = InMemoryEventStore(), InMemoryKeyStore()
    handler = leads(store, keys)
    await handler.handle(stream_of(LEAD), CAPTURE, META)
    await handler.handle(stream_of(LEAD), ERASE, META)  # recorded, but the key not yet shredded
    assert not await keys.is_erased(CUSTOMER)
    with pytest.raises(GoneError):
        await LeadErasure(handler, keys, InMemoryLeadIndex()).erase(LEAD, "again", "GDPR", META)
    assert await keys.is_erased(CUSTOMER)
