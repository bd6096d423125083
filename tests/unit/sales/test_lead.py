"""Given events / when command / then events (or a refusal), for the sales lead decider: every
command, every refusal, what `evolve` makes of each event, and a property that no sequence of
commands ever leaves the transition table (ADR 26)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent, personal_fields
from crm_sales.domain.lead import (
    DEFAULT_DISQUALIFICATION_REASONS,
    MOVES,
    AssignLead,
    CaptureLead,
    ConvertLead,
    DisqualifyLead,
    EraseLead,
    Lead,
    LeadStatus,
    QualifyLead,
    RecycleLead,
    StartWorkOnLead,
    lead_decider,
    organisation_id_of,
    prospect_id_of,
    stream_of,
)
from crm_sales_contracts.events import (
    LeadAssigned,
    LeadCaptured,
    LeadChannel,
    LeadConverted,
    LeadDisqualified,
    LeadQualified,
    LeadRecycled,
    LeadWorkStarted,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

LEAD = "l1"
CUSTOMER = prospect_id_of(LEAD)
REASONS = DEFAULT_DISQUALIFICATION_REASONS


def then(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return lead_decider.decide(lead_decider.fold(given), command)


CAPTURE = CaptureLead(
    lead_id=LEAD,
    person_name="Ana Ruiz",
    company_name="Lámparas Ruiz SL",
    email="ana@ruiz.example",
    phone="+34 600 000 001",
    product_interest="40 desk lamps for a new office",
    estimated_value=Decimal("2400.00"),
    currency="EUR",
    channel=LeadChannel.TRADE_FAIR,
    campaign_id="6f1c2f9e-4d1b-4c8a-9a57-1f7d3c2b9e10",
    notes="Met at the Madrid fair",
)
CAPTURED = LeadCaptured(
    **CAPTURE.model_dump() | {"phone": "+34600000001"}, customer_id=CUSTOMER
)  # every fact of the command (the phone in E.164), and the customer id the lead will have
ASSIGNED = LeadAssigned(lead_id=LEAD, customer_id=CUSTOMER, owner="marta")
WORKING = LeadWorkStarted(lead_id=LEAD, customer_id=CUSTOMER)
QUALIFIED = LeadQualified(lead_id=LEAD, customer_id=CUSTOMER)
DISQUALIFIED = LeadDisqualified(
    lead_id=LEAD, customer_id=CUSTOMER, reason="no budget", note="Budget frozen until Q3"
)
RECYCLED = LeadRecycled(lead_id=LEAD, customer_id=CUSTOMER)


def disqualify(reason: str = "no budget", note: str | None = "Budget frozen until Q3") -> Any:
    return DisqualifyLead(lead_id=LEAD, reason=reason, note=note, reasons=REASONS)


# --- capture --------------------------------------------------------------------------------


def test_a_captured_lead_records_every_fact_and_the_customer_id_it_will_have() -> None:
    assert then([], CAPTURE) == [CAPTURED]
    assert CAPTURED.customer_key() == CUSTOMER == prospect_id_of(LEAD)
    assert prospect_id_of("l2") != CUSTOMER  # one customer id per lead, the same every time
    assert stream_of(LEAD) == "lead-l1"


def test_a_lead_may_name_a_person_or_a_company_alone() -> None:
    person = CaptureLead(lead_id=LEAD, person_name="Ana", channel=LeadChannel.WEB_FORM)
    company = CaptureLead(lead_id=LEAD, company_name="Ruiz SL", channel=LeadChannel.PHONE)
    for command in (person, company):
        [event] = then([], command)
        assert isinstance(event, LeadCaptured) and event.owner is None


def test_a_lead_naming_no_person_and_no_company_is_refused() -> None:
    with pytest.raises(DomainError, match="names a person or a company") as refused:
        then([], CaptureLead(lead_id=LEAD, email="a@b.example", channel=LeadChannel.EMAIL))
    assert refused.value.status_code == 422 and refused.value.field == "person_name"


@pytest.mark.parametrize(
    ("values", "field"),
    [({"estimated_value": None}, "estimated_value"), ({"currency": None}, "currency")],
)
def test_an_estimated_value_and_its_currency_come_together(
    values: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError, match="needs its currency") as refused:
        then([], CAPTURE.model_copy(update=values))
    assert refused.value.status_code == 422 and refused.value.field == field


def test_lines_are_stored_with_white_space_collapsed_and_texts_trimmed() -> None:
    messy = CAPTURE.model_copy(
        update={"person_name": "  Ana   Ruiz ", "owner": " marta ", "notes": " Met at\n the fair  "}
    )
    [event] = then([], messy)
    assert isinstance(event, LeadCaptured)
    assert (event.person_name, event.owner, event.notes) == (
        "Ana Ruiz",
        "marta",
        "Met at\n the fair",
    )
    assert then([CAPTURED, ASSIGNED], AssignLead(lead_id=LEAD, owner=" marta")) == []


@pytest.mark.parametrize(
    "field", ["person_name", "company_name", "email", "phone", "owner", "notes"]
)
def test_a_blank_value_is_refused_naming_its_field(field: str) -> None:
    with pytest.raises(DomainError, match=f"{field} must not be blank") as refused:
        then([], CAPTURE.model_copy(update={field: " \t "}))
    assert refused.value.status_code == 422 and refused.value.field == field
    with pytest.raises(DomainError, match="note must not be blank"):
        then([CAPTURED], disqualify(note="   "))
    with pytest.raises(DomainError, match="owner must not be blank"):
        then([CAPTURED], AssignLead(lead_id=LEAD, owner="  "))


def test_a_lead_captured_already_is_refused_with_its_id() -> None:
    with pytest.raises(ConflictError, match="lead l1 was captured already"):
        then([CAPTURED], CAPTURE)


@pytest.mark.parametrize(
    "values",
    [
        {"person_name": ""},
        {"person_name": "x" * 201},
        {"email": "x" * 255},
        {"phone": "1" * 41},
        {"notes": "x" * 10_001},
        {"owner": ""},
        {"currency": "eur"},
        {"estimated_value": Decimal("-1")},
        {"estimated_value": Decimal("1000000000000.01")},
        {"estimated_value": Decimal("1.001")},
        {"channel": "fax"},
    ],
)
def test_the_command_holds_the_contracts_bounds(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CaptureLead.model_validate({**CAPTURE.model_dump(), **values})


def test_every_free_text_and_contact_detail_is_personal() -> None:
    assert set(personal_fields(LeadCaptured)) == {
        "person_name",
        "company_name",
        "email",
        "phone",
        "product_interest",
        "notes",
    }
    assert personal_fields(LeadDisqualified) == ("note",)
    for event in (LeadAssigned, LeadWorkStarted, LeadQualified, LeadRecycled):
        assert personal_fields(event) == ()


# --- assign ---------------------------------------------------------------------------------


def test_a_new_lead_is_assigned_to_the_owner_named() -> None:
    assert then([CAPTURED], AssignLead(lead_id=LEAD, owner="marta")) == [ASSIGNED]


def test_the_same_owner_again_records_nothing_and_another_takes_it_over() -> None:
    assert then([CAPTURED, ASSIGNED], AssignLead(lead_id=LEAD, owner="marta")) == []
    assert then([CAPTURED, ASSIGNED, WORKING], AssignLead(lead_id=LEAD, owner="luis")) == [
        ASSIGNED.model_copy(update={"owner": "luis"})
    ]


def test_a_lead_captured_with_an_owner_is_assigned_already() -> None:
    state = lead_decider.fold([CAPTURED.model_copy(update={"owner": "marta"})])
    assert (state.status, state.owner) == (LeadStatus.ASSIGNED, "marta")
    assert lead_decider.decide(state, AssignLead(lead_id=LEAD, owner="marta")) == []


# Every command on a captured lead but conversion and erasure.
STEPS = [
    AssignLead(lead_id=LEAD, owner="luis"),
    StartWorkOnLead(lead_id=LEAD),
    QualifyLead(lead_id=LEAD),
    DisqualifyLead(lead_id=LEAD, reason="no need", reasons=REASONS),
    RecycleLead(lead_id=LEAD),
]


@pytest.mark.parametrize("command", STEPS, ids=lambda c: type(c).__name__)
def test_a_lead_never_captured_is_not_found(command: Any) -> None:
    with pytest.raises(NotFoundError, match="no lead l1: capture it first"):
        then([], command)


# --- start work -----------------------------------------------------------------------------


def test_work_starts_on_an_assigned_lead_and_a_repeat_records_nothing() -> None:
    assert then([CAPTURED, ASSIGNED], StartWorkOnLead(lead_id=LEAD)) == [WORKING]
    assert then([CAPTURED, ASSIGNED, WORKING], StartWorkOnLead(lead_id=LEAD)) == []


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ([CAPTURED], "new"),
        ([CAPTURED, ASSIGNED, WORKING, QUALIFIED], "qualified"),
        ([CAPTURED, ASSIGNED, DISQUALIFIED], "disqualified"),
    ],
)
def test_work_does_not_start_but_on_an_assigned_lead(
    history: list[DomainEvent], status: str
) -> None:
    with pytest.raises(ConflictError, match=f"lead l1 is {status}: work starts on an assigned"):
        then(history, StartWorkOnLead(lead_id=LEAD))


# --- qualify --------------------------------------------------------------------------------


def test_a_lead_being_worked_is_qualified_and_a_repeat_records_nothing() -> None:
    assert then([CAPTURED, ASSIGNED, WORKING], QualifyLead(lead_id=LEAD)) == [QUALIFIED]
    assert then([CAPTURED, ASSIGNED, WORKING, QUALIFIED], QualifyLead(lead_id=LEAD)) == []


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ([CAPTURED], "new"),
        ([CAPTURED, ASSIGNED], "assigned"),
        ([CAPTURED, ASSIGNED, DISQUALIFIED], "disqualified"),
    ],
)
def test_only_a_lead_being_worked_is_qualified(history: list[DomainEvent], status: str) -> None:
    with pytest.raises(ConflictError, match=f"lead l1 is {status}: only a lead being worked"):
        then(history, QualifyLead(lead_id=LEAD))


# --- disqualify -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "history",
    [
        [CAPTURED],
        [CAPTURED, ASSIGNED],
        [CAPTURED, ASSIGNED, WORKING],
        [CAPTURED, ASSIGNED, WORKING, QUALIFIED],
    ],
    ids=["new", "assigned", "working", "qualified"],
)
def test_an_open_lead_is_disqualified_with_its_reason_and_note(
    history: list[DomainEvent],
) -> None:
    assert then(history, disqualify()) == [DISQUALIFIED]


def test_the_reason_is_matched_in_any_letter_case_and_kept_as_configured() -> None:
    [event] = then([CAPTURED], disqualify(" Went With A Competitor", note=None))
    assert isinstance(event, LeadDisqualified)
    assert (event.reason, event.note) == ("went with a competitor", None)


def test_a_reason_off_the_configured_list_is_refused_naming_the_list() -> None:
    with pytest.raises(DomainError, match="one of: too expensive, no budget") as refused:
        then([CAPTURED], disqualify("meh"))
    assert refused.value.status_code == 422 and refused.value.field == "reason"
    own = DisqualifyLead(lead_id=LEAD, reason="no budget", reasons=("bad fit",))
    with pytest.raises(DomainError, match="one of: bad fit"):
        then([CAPTURED], own)  # the business's own list, not the default


def test_a_reason_is_required() -> None:
    with pytest.raises(ValidationError):
        DisqualifyLead.model_validate({"lead_id": LEAD, "reasons": REASONS})
    with pytest.raises(ValidationError):
        DisqualifyLead(lead_id=LEAD, reason="", reasons=REASONS)


def test_the_same_disqualification_again_records_nothing_another_is_refused() -> None:
    history = [CAPTURED, ASSIGNED, DISQUALIFIED]
    assert then(history, disqualify()) == []
    with pytest.raises(ConflictError, match="lead l1 is disqualified: it was disqualified"):
        then(history, disqualify("duplicate"))


# --- recycle --------------------------------------------------------------------------------


def test_a_disqualified_lead_with_an_owner_is_recycled_back_to_working() -> None:
    history = [CAPTURED, ASSIGNED, DISQUALIFIED]
    assert then(history, RecycleLead(lead_id=LEAD)) == [RECYCLED]
    state = lead_decider.fold([*history, RECYCLED])
    assert state == Lead(
        status=LeadStatus.WORKING, customer_id=CUSTOMER, owner="marta", facts=CAPTURED
    )
    assert then([*history, RECYCLED], QualifyLead(lead_id=LEAD)) == [QUALIFIED]


def test_a_disqualified_lead_without_an_owner_is_assigned_before_it_is_recycled() -> None:
    history = [CAPTURED, DISQUALIFIED]
    with pytest.raises(ConflictError, match=r"has no owner: .* assign an owner first"):
        then(history, RecycleLead(lead_id=LEAD))
    assigned = then(history, AssignLead(lead_id=LEAD, owner="marta"))
    assert lead_decider.fold([*history, *assigned]).status is LeadStatus.DISQUALIFIED
    assert then([*history, *assigned], RecycleLead(lead_id=LEAD)) == [RECYCLED]


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ([CAPTURED, ASSIGNED], "assigned"),
        ([CAPTURED, ASSIGNED, WORKING], "working"),
        ([CAPTURED, ASSIGNED, WORKING, QUALIFIED], "qualified"),
    ],
)
def test_only_a_disqualified_lead_is_recycled(history: list[DomainEvent], status: str) -> None:
    with pytest.raises(ConflictError, match=f"lead l1 is {status}: only a disqualified"):
        then(history, RecycleLead(lead_id=LEAD))


# --- convert --------------------------------------------------------------------------------

READY = [CAPTURED, ASSIGNED, WORKING, QUALIFIED]
EXISTING = "c-existing"
ORGANISATION = "o-existing"


def converted(**changes: Any) -> LeadConverted:
    """The conversion of READY into a new customer, its company a new organisation."""
    facts: dict[str, Any] = {
        "lead_id": LEAD,
        "customer_id": CUSTOMER,
        "new_customer": True,
        "prospect_id": CUSTOMER,
        "organisation_id": organisation_id_of(LEAD),
        "new_organisation": True,
        "person_name": "Ana Ruiz",
        "company_name": "Lámparas Ruiz SL",
        "email": "ana@ruiz.example",
        "phone": "+34600000001",  # E.164, as captured (ADR 28)
        "channel": LeadChannel.TRADE_FAIR,
        "campaign_id": CAPTURE.campaign_id,
        "owner": "marta",
    }
    return LeadConverted(**facts | changes)


def test_a_qualified_lead_becomes_a_new_customer_and_its_company_a_new_organisation() -> None:
    assert then(READY, ConvertLead(lead_id=LEAD)) == [converted()]


def test_a_lead_with_a_company_alone_becomes_that_organisation() -> None:
    company = CAPTURED.model_copy(update={"person_name": None})
    assert then([company, *READY[1:]], ConvertLead(lead_id=LEAD)) == [
        converted(person_name=None, organisation_id=None, new_organisation=False)
    ]


def test_a_person_alone_becomes_a_customer_with_no_organisation() -> None:
    person = CAPTURED.model_copy(update={"company_name": None})
    assert then([person, *READY[1:]], ConvertLead(lead_id=LEAD)) == [
        converted(company_name=None, organisation_id=None, new_organisation=False)
    ]


def test_a_lead_found_to_be_an_existing_customer_carries_no_personal_data() -> None:
    command = ConvertLead(lead_id=LEAD, customer_id=EXISTING, organisation_id=ORGANISATION)
    assert then(READY, command) == [
        LeadConverted(
            lead_id=LEAD,
            customer_id=EXISTING,
            new_customer=False,
            prospect_id=CUSTOMER,
            organisation_id=ORGANISATION,
            channel=LeadChannel.TRADE_FAIR,
            campaign_id=CAPTURE.campaign_id,
            owner="marta",
        )
    ]


def test_the_same_conversion_again_records_nothing_another_is_refused() -> None:
    history = [*READY, converted()]
    assert then(history, ConvertLead(lead_id=LEAD)) == []
    assert then(history, ConvertLead(lead_id=LEAD, customer_id=CUSTOMER)) == []
    with pytest.raises(ConflictError, match="only a qualified lead is converted"):
        then(history, ConvertLead(lead_id=LEAD, customer_id=EXISTING))


@pytest.mark.parametrize("history", [READY[:1], READY[:2], READY[:3], [CAPTURED, DISQUALIFIED]])
def test_only_a_qualified_lead_is_converted(history: list[DomainEvent]) -> None:
    with pytest.raises(ConflictError, match="only a qualified lead is converted"):
        then(history, ConvertLead(lead_id=LEAD))


def test_an_organisation_is_named_only_for_a_lead_with_a_company() -> None:
    person = CAPTURED.model_copy(update={"company_name": None})
    with pytest.raises(DomainError, match="names no company") as refused:
        then([person, *READY[1:]], ConvertLead(lead_id=LEAD, organisation_id=ORGANISATION))
    assert refused.value.field == "organisation_id"


def test_a_company_alone_is_not_linked_to_an_existing_customer() -> None:
    company = CAPTURED.model_copy(update={"person_name": None})
    with pytest.raises(DomainError, match="leave customer_id out"):
        then([company, *READY[1:]], ConvertLead(lead_id=LEAD, customer_id=EXISTING))


@pytest.mark.parametrize(
    "command",
    [*STEPS, EraseLead(lead_id=LEAD, requested_by="dpo", reason="ticket 7")],
    ids=lambda c: type(c).__name__,
)
def test_a_converted_lead_is_closed_its_customer_is_worked_with(command: Any) -> None:
    with pytest.raises(ConflictError, match=f"converted into customer {CUSTOMER}"):
        then([*READY, converted()], command)


def test_the_conversion_carries_every_personal_value_sealed() -> None:
    assert set(personal_fields(LeadConverted)) == {
        "person_name",
        "company_name",
        "email",
        "phone",
    }


# --- evolve ---------------------------------------------------------------------------------


class Unrelated(DomainEvent):
    """An event the lead does not know (no type name: not registered)."""


def test_evolve_follows_the_lifecycle() -> None:
    assert lead_decider.fold([]) == Lead()
    steps = [
        (CAPTURED, LeadStatus.NEW),
        (ASSIGNED, LeadStatus.ASSIGNED),
        (WORKING, LeadStatus.WORKING),
        (QUALIFIED, LeadStatus.QUALIFIED),
        (DISQUALIFIED, LeadStatus.DISQUALIFIED),
        (RECYCLED, LeadStatus.WORKING),
        (Unrelated(), LeadStatus.WORKING),
        (QUALIFIED, LeadStatus.QUALIFIED),
        (converted(), LeadStatus.CONVERTED),
    ]
    history: list[DomainEvent] = []
    for event, status in steps:
        history.append(event)
        assert lead_decider.fold(history).status is status
    disqualified = lead_decider.fold([CAPTURED, DISQUALIFIED])
    assert (disqualified.reason, disqualified.note) == ("no budget", "Budget frozen until Q3")


# --- any sequence of commands keeps to the transition table ---------------------------------

# Where each command may take a lead, besides staying where it is: ADR 26's table, written out
# again here rather than read from the decider's.
S = LeadStatus
OPEN = (S.NEW, S.ASSIGNED, S.WORKING, S.QUALIFIED)
LEGAL: dict[type, dict[LeadStatus | None, LeadStatus]] = {
    CaptureLead: {None: S.NEW},  # or assigned, with an owner
    AssignLead: {S.NEW: S.ASSIGNED},
    StartWorkOnLead: {S.ASSIGNED: S.WORKING},
    QualifyLead: {S.WORKING: S.QUALIFIED},
    DisqualifyLead: dict.fromkeys(OPEN, S.DISQUALIFIED),
    RecycleLead: {S.DISQUALIFIED: S.WORKING},
    ConvertLead: {S.QUALIFIED: S.CONVERTED},
}


def test_the_deciders_table_is_the_adrs() -> None:
    for command, move in MOVES.items():
        assert {source: move.to for source in move.sources} == LEGAL[command]


COMMANDS = st.one_of(
    st.builds(
        CaptureLead,
        lead_id=st.just(LEAD),
        person_name=st.sampled_from([None, "Ana"]),
        company_name=st.sampled_from([None, "Ruiz SL"]),
        channel=st.sampled_from(LeadChannel),
        owner=st.sampled_from([None, "marta"]),
    ),
    st.builds(AssignLead, lead_id=st.just(LEAD), owner=st.sampled_from(["marta", "luis"])),
    st.builds(StartWorkOnLead, lead_id=st.just(LEAD)),
    st.builds(QualifyLead, lead_id=st.just(LEAD)),
    st.builds(
        DisqualifyLead,
        lead_id=st.just(LEAD),
        reason=st.sampled_from(["no need", "duplicate", "meh"]),
        note=st.sampled_from([None, "n"]),
        reasons=st.just(REASONS),
    ),
    st.builds(RecycleLead, lead_id=st.just(LEAD)),
    st.builds(
        ConvertLead, lead_id=st.just(LEAD), customer_id=st.sampled_from([None, "c-existing"])
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(COMMANDS, max_size=25))
def test_any_sequence_of_commands_keeps_the_lead_within_the_transition_table(
    commands: list[Any],
) -> None:
    history: list[DomainEvent] = []
    for command in commands:
        before = lead_decider.fold(history)
        try:
            events = lead_decider.decide(before, command)
        except DomainError as refusal:
            assert refusal.status_code in (404, 409, 422)
            if before.status is None:  # only a capture finds a lead that is not there
                assert isinstance(command, CaptureLead) or refusal.status_code == 404
            if refusal.status_code == 409 and before.status in LEGAL[type(command)]:
                # a move the table allows is refused only for a rule beside it
                assert isinstance(command, RecycleLead) and before.owner is None
            continue
        history.extend(events)
        after = lead_decider.fold(history)
        assert len(events) <= 1
        if after.status != before.status:
            allowed = {LEGAL[type(command)].get(before.status)}
            if isinstance(command, CaptureLead) and command.owner is not None:
                allowed = {S.ASSIGNED}
            assert after.status in allowed, (
                f"{type(command).__name__} moved {before.status} to {after.status}"
            )
        if after.status in (LeadStatus.WORKING, LeadStatus.QUALIFIED):
            assert after.owner is not None  # a lead is only worked by its owner
        assert (after.reason is not None) == (after.status is LeadStatus.DISQUALIFIED)
        if not isinstance(command, CaptureLead | RecycleLead):  # those refuse a repeat
            assert lead_decider.decide(after, command) == []  # a repeat records nothing
