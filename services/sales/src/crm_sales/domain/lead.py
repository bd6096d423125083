"""The lead aggregate: commands, state, one decision per command, and evolve.

A lead moves through these statuses (ADR 26); any other move is refused with 409 and a
message naming the rule, bad values with 422:

    command      from                                        to
    capture      (no lead yet)                               new; assigned if it names an owner
    assign       new, assigned, working, qualified,          assigned from new; else unchanged
                 disqualified
    start work   assigned                                    working
    qualify      working                                     qualified
    disqualify   new, assigned, working, qualified           disqualified (a listed reason)
    recycle      disqualified, with an owner                 working
    convert      qualified                                   converted: closed, every later
                                                             command but its retry is a 409
    override     any but converted                           unchanged: the rep's score recorded
    score                                                    beside the computed one (ADR 31)
    erase        any but converted                           erased (410 for every command after)

A repeat that would change nothing (the same owner, work started already, qualified already,
the same disqualification, the same conversion) records nothing; a command on a lead never
captured is refused with 404. A converted lead's person is a customer: contacts erases it.
Possible duplicates (ADR 28) are recorded on a captured lead in any status, each once; they
move nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import listed
from crm_kernel.domain.senders import sender_id
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import (
    Currency,
    DisqualificationNote,
    DisqualificationReason,
    LeadAssigned,
    LeadCaptured,
    LeadChannel,
    LeadConverted,
    LeadDisqualified,
    LeadDuplicateReason,
    LeadEmail,
    LeadErased,
    LeadLookalike,
    LeadName,
    LeadNotes,
    LeadOwner,
    LeadPhone,
    LeadPossibleDuplicateFound,
    LeadQualified,
    LeadRecycled,
    LeadScoreOverridden,
    LeadWorkStarted,
    Money,
    Percent,
    ProductInterest,
)
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.lead_points import normalised

# The namespace of the customer ids leads name (a UUID5 of the lead id): fixed forever, so a
# redelivered conversion names the same customer.
PROSPECTS = UUID("5b0c7f5e-2f4a-5d3e-9c1b-7a6e4d2c1f00")
# Like Odoo's lost reasons and what sales teams use; a business sets its own list
# (CRM_LEAD_DISQUALIFICATION_REASONS).
DEFAULT_DISQUALIFICATION_REASONS = (
    "too expensive",
    "no budget",
    "no need",
    "went with a competitor",
    "unreachable",
    "duplicate",
    "other",
)


def stream_of(lead_id: str) -> str:
    return f"lead-{lead_id}"


def prospect_id_of(lead_id: str) -> str:
    """The id of the customer the lead may become: its personal data is sealed under it."""
    return str(uuid5(PROSPECTS, lead_id))


def organisation_id_of(lead_id: str) -> str:
    """The id of the organisation a lead's company becomes when it converts."""
    return str(uuid5(PROSPECTS, f"{lead_id}/organisation"))


def opportunity_id_of(lead_id: str) -> str:
    """The id of the opportunity opened with the lead's conversion: a retry opens no other."""
    return str(uuid5(PROSPECTS, f"{lead_id}/opportunity"))


# The namespace of the ids of leads from the ingest topic: fixed forever, so a redelivered
# message names the lead it captured already.
INGESTED_LEADS = UUID("0e3f8b6a-6c1d-5a4e-8f2b-3d9c7e1a5b40")


def lead_id_for(source: str, external_id: str) -> str:
    """The lead a sender's `(source, external_id)` names, always the same one."""
    return sender_id(INGESTED_LEADS, source, external_id)


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    WORKING = "working"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class CaptureLead(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str
    person_name: LeadName | None = None
    company_name: LeadName | None = None
    email: LeadEmail | None = None
    phone: LeadPhone | None = None
    product_interest: ProductInterest | None = None
    estimated_value: Money | None = None
    currency: Currency | None = None
    channel: LeadChannel
    campaign_id: str | None = None
    owner: LeadOwner | None = None
    notes: LeadNotes | None = None


class AssignLead(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str
    owner: LeadOwner


class StartWorkOnLead(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str


class QualifyLead(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str


class DisqualifyLead(BaseModel):
    """`reasons`: the configured list the reason must come from (the service's settings)."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    reason: DisqualificationReason
    note: DisqualificationNote | None = None
    reasons: tuple[DisqualificationReason, ...]


class RecycleLead(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str


class ConvertLead(BaseModel):
    """Make a qualified lead business: a new customer (`customer_id` None: the id its capture
    gave) or an existing one; its company a new organisation, or the existing
    `organisation_id`. `opportunity_id`: the opportunity opened with it, if any."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    customer_id: str | None = None
    organisation_id: str | None = None
    opportunity_id: str | None = None


class OverrideLeadScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead_id: str
    score: Percent | None


class EraseLead(BaseModel):
    """Erase the person behind a lead that never converted (the use case shreds its key)."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    requested_by: str
    reason: str


class RecordLeadDuplicates(BaseModel):
    """Record what the lead looks like (ADR 28): `found` holds (open lead or customer, its
    id, why), as the capture use case found them in the blind index."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    found: tuple[tuple[LeadLookalike, str, LeadDuplicateReason], ...]


LeadCommand = (
    CaptureLead
    | AssignLead
    | StartWorkOnLead
    | QualifyLead
    | DisqualifyLead
    | RecycleLead
    | ConvertLead
    | OverrideLeadScore
    | EraseLead
    | RecordLeadDuplicates
)


@dataclass(frozen=True)
class Lead:
    status: LeadStatus | None = None  # None: never captured
    customer_id: str = ""
    owner: str | None = None
    reason: str | None = None
    note: str | None = None
    erased: bool = False
    # What a conversion hands on (the personal values unsealed, as the handler loads them).
    facts: LeadCaptured | None = None
    converted: LeadConverted | None = None
    score_override: int | None = None
    duplicates: frozenset[str] = frozenset()  # the ids of leads and customers reported


@dataclass(frozen=True)
class Move:
    """A row of the transition table: the statuses a command moves a lead from, where to,
    and the rule a refusal (409) names. `again`: a lead at `to` already records nothing (a
    retry) instead of being refused."""

    sources: frozenset[LeadStatus]
    to: LeadStatus
    rule: str
    again: bool = False


OPEN = frozenset({LeadStatus.NEW, LeadStatus.ASSIGNED, LeadStatus.WORKING, LeadStatus.QUALIFIED})
MOVES: dict[type[LeadCommand], Move] = {
    StartWorkOnLead: Move(
        frozenset({LeadStatus.ASSIGNED}),
        LeadStatus.WORKING,
        "work starts on an assigned lead (assign an owner first)",
        again=True,
    ),
    QualifyLead: Move(
        frozenset({LeadStatus.WORKING}),
        LeadStatus.QUALIFIED,
        "only a lead being worked is qualified (start work first)",
        again=True,
    ),
    DisqualifyLead: Move(OPEN, LeadStatus.DISQUALIFIED, "it was disqualified already"),
    RecycleLead: Move(
        frozenset({LeadStatus.DISQUALIFIED}),
        LeadStatus.WORKING,
        "only a disqualified lead is recycled",
    ),
    ConvertLead: Move(
        frozenset({LeadStatus.QUALIFIED}),
        LeadStatus.CONVERTED,
        "only a qualified lead is converted (qualify it first)",
    ),
}


def _captured(state: Lead, command: LeadCommand) -> None:
    if state.status is None:
        raise NotFoundError(f"no lead {command.lead_id}: capture it first")
    if state.erased:
        raise GoneError(f"lead {command.lead_id} was erased: nothing more is recorded about it")


def _not_converted(state: Lead, command: LeadCommand) -> None:
    """A converted lead is closed: it is a customer now, and contacts keeps its data."""
    _captured(state, command)
    if state.converted is not None:
        raise ConflictError(
            f"lead {command.lead_id} was converted into customer {state.converted.customer_id}: "
            "work with the customer now (contacts erases it, if asked)"
        )


def check_assignable(state: Lead, lead_id: str) -> None:
    """Refuse as an assignment would (404, 410, 409), before anything else is recorded."""
    _not_converted(state, AssignLead(lead_id=lead_id, owner="-"))


def _moves(state: Lead, command: LeadCommand) -> bool:
    """Whether the command moves the lead (False: a retry of a move made already); a 409
    naming the rule if its status does not allow the move."""
    move = MOVES[type(command)]
    if move.again and state.status is move.to:
        return False
    if state.status not in move.sources:
        raise ConflictError(f"lead {command.lead_id} is {state.status}: {move.rule}")
    return True


decide: Decisions[Lead, LeadCommand] = Decisions()


# A lead's one-line fields are stored with white space collapsed, its free texts trimmed;
# neither may be blank.
LINES = ("person_name", "company_name", "email", "phone", "owner")
TEXTS = ("product_interest", "notes", "note")


def _cleaned(field: str, value: str) -> str:
    clean = collapse_spaces(value) if field in LINES else value.strip()
    if not clean:
        raise DomainError(f"{field} must not be blank", field=field)
    # E-mail lower-cased, phone in E.164, as contacts stores them: duplicates match on them.
    return normalised(field, clean) if field in ("email", "phone") else clean


@decide.on(CaptureLead)
def capture(state: Lead, command: CaptureLead) -> list[DomainEvent]:
    if state.status is not None:
        raise ConflictError(f"lead {command.lead_id} was captured already")
    facts = command.model_dump()
    facts |= {f: _cleaned(f, facts[f]) for f in (*LINES, *TEXTS) if facts.get(f) is not None}
    if facts["person_name"] is None and facts["company_name"] is None:
        raise DomainError("a lead names a person or a company (or both)", field="person_name")
    if (command.estimated_value is None) != (command.currency is None):
        raise DomainError(
            "an estimated value needs its currency, and a currency its value",
            field="currency" if command.currency is None else "estimated_value",
        )
    return [LeadCaptured(**facts, customer_id=prospect_id_of(command.lead_id))]


@decide.on(AssignLead, guard=_not_converted)
def assign(state: Lead, command: AssignLead) -> list[DomainEvent]:
    """Any status: a new lead becomes assigned, any other keeps its status."""
    owner = _cleaned("owner", command.owner)
    if state.owner == owner:
        return []  # assigned so already: a retry changes nothing
    return [LeadAssigned(lead_id=command.lead_id, customer_id=state.customer_id, owner=owner)]


@decide.on(StartWorkOnLead, guard=_not_converted)
def start_work(state: Lead, command: StartWorkOnLead) -> list[DomainEvent]:
    if not _moves(state, command):
        return []
    return [LeadWorkStarted(lead_id=command.lead_id, customer_id=state.customer_id)]


@decide.on(QualifyLead, guard=_not_converted)
def qualify(state: Lead, command: QualifyLead) -> list[DomainEvent]:
    if not _moves(state, command):
        return []
    return [LeadQualified(lead_id=command.lead_id, customer_id=state.customer_id)]


@decide.on(DisqualifyLead, guard=_not_converted)
def disqualify(state: Lead, command: DisqualifyLead) -> list[DomainEvent]:
    reason = listed(command.reason, command.reasons)
    if reason is None:
        raise DomainError(
            f"the reason must be one of: {', '.join(command.reasons)}", field="reason"
        )
    note = None if command.note is None else _cleaned("note", command.note)
    if state.status is LeadStatus.DISQUALIFIED and (state.reason, state.note) == (reason, note):
        return []  # disqualified so already: a retry changes nothing
    _moves(state, command)
    return [
        LeadDisqualified(
            lead_id=command.lead_id, customer_id=state.customer_id, reason=reason, note=note
        )
    ]


@decide.on(RecycleLead, guard=_not_converted)
def recycle(state: Lead, command: RecycleLead) -> list[DomainEvent]:
    _moves(state, command)
    if state.owner is None:
        raise ConflictError(
            f"lead {command.lead_id} has no owner: a recycled lead is worked again, "
            "assign an owner first"
        )
    return [LeadRecycled(lead_id=command.lead_id, customer_id=state.customer_id)]


def _same_conversion(done: LeadConverted, command: ConvertLead) -> bool:
    """Whether `command` asks again for the conversion made (a retry records nothing)."""
    asked = (
        command.customer_id or done.prospect_id,
        command.organisation_id or done.organisation_id,
        command.opportunity_id or done.opportunity_id,
    )
    return asked == (done.customer_id, done.organisation_id, done.opportunity_id)


@decide.on(ConvertLead, guard=_captured)
def convert(state: Lead, command: ConvertLead) -> list[DomainEvent]:
    """A new customer carries the lead's name and contact details for contacts to register;
    an existing one gets none (contacts has its own), only the link."""
    if state.converted is not None and _same_conversion(state.converted, command):
        return []
    _moves(state, command)
    facts = state.facts
    assert facts is not None  # a captured lead has its capture
    new_customer = command.customer_id is None
    new_organisation = facts.company_name is not None and command.organisation_id is None
    if command.organisation_id is not None and facts.company_name is None:
        raise DomainError(
            "the lead names no company: there is no organisation to link it to",
            field="organisation_id",
        )
    if facts.person_name is None and not new_customer:
        raise DomainError(
            "a lead with no person is its company: convert it into a new organisation "
            "(leave customer_id out)",
            field="customer_id",
        )
    personal = (
        {
            "person_name": facts.person_name,
            "company_name": facts.company_name,
            "email": facts.email,
            "phone": facts.phone,
        }
        if new_customer
        else {}
    )
    # A company alone is the customer; with a person, the organisation the person works for.
    organisation = command.organisation_id or (
        organisation_id_of(command.lead_id)
        if new_organisation and facts.person_name is not None
        else None
    )
    return [
        LeadConverted(
            lead_id=command.lead_id,
            customer_id=command.customer_id or state.customer_id,
            new_customer=new_customer,
            prospect_id=state.customer_id,
            organisation_id=organisation,
            new_organisation=new_organisation and organisation is not None,
            channel=facts.channel,
            campaign_id=facts.campaign_id,
            owner=state.owner,
            opportunity_id=command.opportunity_id,
            **personal,
        )
    ]


@decide.on(OverrideLeadScore, guard=_not_converted)
def override_score(state: Lead, command: OverrideLeadScore) -> list[DomainEvent]:
    """Any open or disqualified lead; the same score again records nothing."""
    if state.score_override == command.score:
        return []
    return [
        LeadScoreOverridden(
            lead_id=command.lead_id, customer_id=state.customer_id, score=command.score
        )
    ]


@decide.on(EraseLead, guard=_not_converted)
def erase(state: Lead, command: EraseLead) -> list[DomainEvent]:
    """Any status: the lead is erased (the guard answers 410 once it was)."""
    return [
        LeadErased(
            lead_id=command.lead_id,
            customer_id=state.customer_id,
            requested_by=command.requested_by,
            reason=command.reason,
        )
    ]


@decide.on(RecordLeadDuplicates, guard=_captured)
def record_duplicates(state: Lead, command: RecordLeadDuplicates) -> list[DomainEvent]:
    """Each lookalike once: one reported already (a redelivery, a second point) records
    nothing; the lead is never its own duplicate, nor the customer it will become."""
    found: dict[str, tuple[LeadLookalike, LeadDuplicateReason]] = {}
    for other, other_id, reason in command.found:
        found.setdefault(other_id, (other, reason))  # the first reason found is the one given
    return [
        LeadPossibleDuplicateFound(
            lead_id=command.lead_id,
            customer_id=state.customer_id,
            other=other,
            other_id=other_id,
            reason=reason,
        )
        for other_id, (other, reason) in found.items()
        if other_id not in {*state.duplicates, command.lead_id, state.customer_id}
    ]


def evolve(state: Lead, event: DomainEvent) -> Lead:
    if isinstance(event, LeadCaptured):
        status = LeadStatus.NEW if event.owner is None else LeadStatus.ASSIGNED
        return Lead(status=status, customer_id=event.customer_id, owner=event.owner, facts=event)
    changes: dict[str, Any] = {}
    if isinstance(event, LeadAssigned):
        moved = LeadStatus.ASSIGNED if state.status is LeadStatus.NEW else state.status
        changes = {"status": moved, "owner": event.owner}
    elif isinstance(event, LeadWorkStarted | LeadRecycled):
        changes = {"status": LeadStatus.WORKING, "reason": None, "note": None}
    elif isinstance(event, LeadQualified):
        changes = {"status": LeadStatus.QUALIFIED}
    elif isinstance(event, LeadDisqualified):
        changes = {"status": LeadStatus.DISQUALIFIED, "reason": event.reason, "note": event.note}
    elif isinstance(event, LeadScoreOverridden):
        changes = {"score_override": event.score}
    elif isinstance(event, LeadConverted):
        changes = {"status": LeadStatus.CONVERTED, "converted": event}
    elif isinstance(event, LeadErased):
        changes = {"erased": True, "reason": None, "note": None, "facts": None}
    elif isinstance(event, LeadPossibleDuplicateFound):
        changes = {"duplicates": state.duplicates | {event.other_id}}
    return replace(state, **changes)


lead_decider: Decider[Lead, LeadCommand] = Decider(initial_state=Lead, decide=decide, evolve=evolve)
