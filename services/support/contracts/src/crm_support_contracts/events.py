"""Events of the support context."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from crm_kernel.domain.events import DomainEvent, OptionalPersonalStr, PersonalStr
from crm_kernel.domain.upcasting import UPCASTERS
from pydantic import BaseModel, ConfigDict, Field

from crm_support_contracts.calendar import WorkingCalendar

# Bounds shared by the request, the command and the event. Personal fields (the subject and
# the description) carry them on the request and the command only: on the wire and in the
# store they hold ciphertext, which is longer.
SUBJECT = Field(min_length=1, max_length=200)
CaseSubject = Annotated[str, SUBJECT]
# Who works a case: an agent's or a team's handle, as owners are named elsewhere.
ASSIGNEE = Field(min_length=1, max_length=100)
Assignee = Annotated[str, ASSIGNEE]


class CaseKind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    RETURN = "return"
    INCIDENT = "incident"
    PROBLEM = "problem"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseChannel(StrEnum):
    """Where the customer raised it."""

    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    CHAT = "chat"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    OTHER = "other"  # v1 channels (free text) that name none of the above


# What v1's free-text channel said, as v2 reads it.
V1_CHANNELS = {
    "e-mail": CaseChannel.EMAIL,
    "mail": CaseChannel.EMAIL,
    "phone_call": CaseChannel.PHONE,
    "call": CaseChannel.PHONE,
    "telephone": CaseChannel.PHONE,
    "web_form": CaseChannel.WEB,
    "portal": CaseChannel.WEB,
    "whatsapp": CaseChannel.CHAT,
    "in person": CaseChannel.IN_PERSON,
    "store": CaseChannel.IN_PERSON,
}
SKU = Field(min_length=1, max_length=64)
Sku = Annotated[str, SKU]
OrderLineNumber = Annotated[int, Field(ge=0, le=499, strict=True)]


class CaseOpened(DomainEvent):
    """A customer's service request was opened, on a channel, about a product (and the order
    and order line, where known); its subject and description are free text, personal data
    like every free text. v2: the channel is one of a list (v1's free text is upcast)."""

    event_type = "crm.support.CaseOpened.v2"

    case_id: str
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: CaseChannel
    subject: PersonalStr
    description: PersonalStr
    product_sku: Sku | None = None
    order_id: str | None = None
    order_line: OrderLineNumber | None = None
    team_id: str | None = None  # the team it opened in (its calendar, its round)


def _case_opened_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1's channel was free text: the list's value it names (in any case), else `other`."""
    said = str(data.get("channel", "")).strip().casefold()
    known = {c.value: c for c in CaseChannel} | V1_CHANNELS
    return {**data, "channel": known.get(said, CaseChannel.OTHER).value}


UPCASTERS.register("crm.support.CaseOpened.v1", CaseOpened.event_type, _case_opened_v1)


class CaseAssigned(DomainEvent):
    """A case was given to an agent or a team to work (again, when it changes hands)."""

    event_type = "crm.support.CaseAssigned.v1"

    case_id: str
    customer_id: str
    assignee: Assignee
    team_id: str | None = None  # the team it was routed in, or moved to


# --- a case's life (issue 14) ------------------------------------------------------------------
# A reason from a configured list (CRM_CASE_REJECTION_REASONS): a code, never the customer's
# words.
REASON = Field(min_length=1, max_length=100)
CaseReason = Annotated[str, REASON]


class CaseStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class CaseStep(DomainEvent):
    """What every step of a case's life carries."""

    case_id: str
    customer_id: str


class CaseWorkStarted(CaseStep):
    """Someone started working the case (from assigned, or back from waiting on the customer)."""

    event_type = "crm.support.CaseWorkStarted.v1"


class CaseWaitingOnCustomer(CaseStep):
    """The case waits for the customer's answer: its resolution clock is paused."""

    event_type = "crm.support.CaseWaitingOnCustomer.v1"


class ReplyAuthor(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class CaseReplied(CaseStep):
    """A public reply in the case's thread: an agent's first one is the first response; the
    customer's reopens a case resolved and not closed, and ends a wait on them."""

    event_type = "crm.support.CaseReplied.v1"

    reply_id: str
    author: ReplyAuthor
    body: PersonalStr


class CaseNoteAdded(CaseStep):
    """An internal note in the case's thread, never shown to the customer."""

    event_type = "crm.support.CaseNoteAdded.v1"

    note_id: str
    body: PersonalStr


class CaseResolved(CaseStep):
    """The case was resolved (its `resolution`-th time); it closes by itself after the
    configured days unless reopened."""

    event_type = "crm.support.CaseResolved.v1"

    resolution: Annotated[int, Field(ge=1)]
    note: OptionalPersonalStr = None


class CaseReopened(CaseStep):
    """A resolved case is worked again (by an agent, or because the customer replied)."""

    event_type = "crm.support.CaseReopened.v1"

    by_customer: bool


class CaseClosed(CaseStep):
    """The case is closed for good: by an agent, or `automatically` after the days resolved."""

    event_type = "crm.support.CaseClosed.v1"

    automatically: bool


class CaseRejected(CaseStep):
    """The case was turned down (spam, not ours...), with a reason from the configured list."""

    event_type = "crm.support.CaseRejected.v1"

    reason: CaseReason


class CaseMarkedDuplicate(CaseStep):
    """The case repeats another, which carries on: `of` is the surviving case."""

    event_type = "crm.support.CaseMarkedDuplicate.v1"

    of: str


# The status each step leaves a case in (an assignment moves only a new case: to assigned).
STATUS_AFTER: dict[type[DomainEvent], CaseStatus] = {
    CaseWorkStarted: CaseStatus.IN_PROGRESS,
    CaseWaitingOnCustomer: CaseStatus.WAITING_ON_CUSTOMER,
    CaseResolved: CaseStatus.RESOLVED,
    CaseReopened: CaseStatus.IN_PROGRESS,
    CaseClosed: CaseStatus.CLOSED,
    CaseRejected: CaseStatus.REJECTED,
    CaseMarkedDuplicate: CaseStatus.DUPLICATE,
}


# --- service levels (issue 14, ADR 48) ---------------------------------------------------------
POLICY = Field(min_length=1, max_length=100)
PolicyName = Annotated[str, POLICY]
TEAM = Field(min_length=1, max_length=100)
TeamId = Annotated[str, TEAM]
# Working time, in seconds: what a case that opened in 1900 (the earliest instant accepted)
# has spent by now stays below it.
WorkingSeconds = Annotated[int, Field(ge=0, le=200 * 366 * 24 * 3600)]


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"  # an agent's first public reply
    RESOLUTION = "resolution"  # resolved; waiting on the customer pauses its clock


class SlaTerms(BaseModel):
    """What a policy holds a case to: working time per target on the calendar named, and what
    a breach changes (a priority raised to, a team moved to)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: PolicyName
    calendar: WorkingCalendar
    first_response_s: WorkingSeconds | None = None
    resolution_s: WorkingSeconds | None = None
    escalate_priority: Priority | None = None
    escalate_team: TeamId | None = None


class CaseSlaApplied(CaseStep):
    """The service level a case is held to from `started_at` (when it opened), and its first
    deadlines. The terms carry their calendar: a later change of the team's hours or policies
    moves no deadline already given."""

    event_type = "crm.support.CaseSlaApplied.v1"

    terms: SlaTerms
    started_at: datetime
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


class CaseSlaPaused(CaseStep):
    """The resolution clock stopped at `paused_at` (waiting on the customer, or resolved), with
    `resolution_used_s` of working time spent on it so far."""

    event_type = "crm.support.CaseSlaPaused.v1"

    paused_at: datetime
    resolution_used_s: WorkingSeconds


class CaseSlaResumed(CaseStep):
    """The resolution clock runs again from `resumed_at`: it is due at `resolution_due_at`
    (then, when the time was used up already)."""

    event_type = "crm.support.CaseSlaResumed.v1"

    resumed_at: datetime
    resolution_due_at: datetime


class CaseTargetReached(CaseStep):
    """A target was reached at `reached_at`, after `taken_s` of working time (the resolution's
    without its pauses): `met` when by its deadline. A resolution reached again after a reopen
    is reached again; the last one counts."""

    event_type = "crm.support.CaseTargetReached.v1"

    target: SlaTarget
    reached_at: datetime
    due_at: datetime
    taken_s: WorkingSeconds
    met: bool


class CaseTargetBreached(CaseStep):
    """A target's deadline `due_at` passed before it was reached: for good, whatever follows.
    Raised by the deadline scheduler at the deadline, or by the first step after it."""

    event_type = "crm.support.CaseTargetBreached.v1"

    target: SlaTarget
    due_at: datetime


class CaseEscalated(CaseStep):
    """A breach escalated the case by its policy: flagged, and its priority raised or its team
    changed where the policy says (None: unchanged)."""

    event_type = "crm.support.CaseEscalated.v1"

    target: SlaTarget
    priority: Priority | None = None
    team_id: TeamId | None = None


# --- support teams (issue 14, ADR 49) ----------------------------------------------------------
AGENT = Field(min_length=1, max_length=100)
Agent = Annotated[str, AGENT]
Capacity = Annotated[int, Field(ge=1, le=10_000)]


class Assignment(StrEnum):
    """How a team gives out the cases opened in it."""

    MANUAL = "manual"  # a lead agent assigns each one
    ROUND_ROBIN = "round_robin"  # the next available agent under their capacity, in turn
    LEAST_OPEN = "least_open"  # the available agent with the fewest open cases


class SupportTeamCreated(DomainEvent):
    """A service-desk team: its agents, how it gives out cases, the calendar its service levels
    count on."""

    event_type = "crm.support.SupportTeamCreated.v1"

    team_id: str
    name: Annotated[str, TEAM]
    assignment: Assignment
    calendar: WorkingCalendar


class SupportTeamChanged(DomainEvent):
    """The team's way of giving out cases, or its calendar, after the change (cases opened
    before keep the deadlines they were given)."""

    event_type = "crm.support.SupportTeamChanged.v1"

    team_id: str
    assignment: Assignment
    calendar: WorkingCalendar


class TeamAgentAdded(DomainEvent):
    """An agent joined the team, working at most `capacity` open cases at a time."""

    event_type = "crm.support.TeamAgentAdded.v1"

    team_id: str
    agent: Agent
    capacity: Capacity


class TeamAgentChanged(DomainEvent):
    """An agent's capacity, or whether they take new cases now (away: not), after the change."""

    event_type = "crm.support.TeamAgentChanged.v1"

    team_id: str
    agent: Agent
    capacity: Capacity
    available: bool


class TeamAgentRemoved(DomainEvent):
    """An agent left the team; the cases they hold stay theirs until reassigned."""

    event_type = "crm.support.TeamAgentRemoved.v1"

    team_id: str
    agent: Agent


class TeamCaseRouted(DomainEvent):
    """The team gave the case to this agent by its assignment (the case's own stream records
    the assignment)."""

    event_type = "crm.support.TeamCaseRouted.v1"

    team_id: str
    case_id: str
    agent: Agent


# --- satisfaction surveys and product ratings (issue 14) ---------------------------------------
Csat = Annotated[int, Field(ge=1, le=5, strict=True)]  # 1 very unhappy ... 5 very happy
Nps = Annotated[int, Field(ge=0, le=10, strict=True)]  # how likely to recommend us
Stars = Annotated[int, Field(ge=1, le=5, strict=True)]


class SurveyRequested(CaseStep):
    """A resolution asks the customer how satisfied they are: CSAT always, NPS where the
    business asks (CRM_SURVEY_NPS). `survey` is the resolution's number: one survey each."""

    event_type = "crm.support.SurveyRequested.v1"

    survey: Annotated[int, Field(ge=1)]
    nps: bool


class SurveyAnswered(CaseStep):
    """The customer's answer to a survey, once: CSAT 1-5, NPS 0-10 where it was asked, and a
    comment (free text, personal data)."""

    event_type = "crm.support.SurveyAnswered.v1"

    survey: Annotated[int, Field(ge=1)]
    csat: Csat
    nps: Nps | None = None
    comment: OptionalPersonalStr = None


class ProductRated(DomainEvent):
    """A customer rated a product, 1-5 stars, with a review (free text, personal data); a
    later rating of the same product by the same customer is their current one."""

    event_type = "crm.support.ProductRated.v1"

    rating_id: str
    customer_id: str
    product_sku: Sku
    stars: Stars
    review: OptionalPersonalStr = None


# --- return requests (issue 14, ADR 51) --------------------------------------------------------
Rma = Annotated[str, Field(min_length=1, max_length=40)]


class LineQuantity(BaseModel):
    """How many of an order's line (from 0)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: OrderLineNumber
    quantity: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]


ReturnLines = Annotated[tuple[LineQuantity, ...], Field(min_length=1, max_length=500)]


class ReturnResolution(StrEnum):
    REFUND = "refund"  # the money back: sales refunds (or credits) what the lines billed
    EXCHANGE = "exchange"  # the same product again
    REPAIR = "repair"  # repaired and sent back (free under warranty)


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    RECEIVED = "received"
    RESOLVED = "resolved"


class ReturnRequested(DomainEvent):
    """A customer asks to return these lines of an order, for a listed reason (a code), with a
    note (free text, personal data); `case_id`: the case it came up in, if any."""

    event_type = "crm.support.ReturnRequested.v1"

    return_id: str
    customer_id: str
    order_id: str
    case_id: str | None = None
    lines: ReturnLines
    reason: CaseReason
    note: OptionalPersonalStr = None


class ReturnApproved(DomainEvent):
    """The return is authorised under its RMA number: the customer may send the goods."""

    event_type = "crm.support.ReturnApproved.v1"

    return_id: str
    customer_id: str
    rma: Rma


class ReturnRefused(DomainEvent):
    """The return is not authorised, for a listed reason (a code)."""

    event_type = "crm.support.ReturnRefused.v1"

    return_id: str
    customer_id: str
    reason: CaseReason


class ReturnReceived(DomainEvent):
    """The goods came back: these quantities of the order's lines (at most those requested).
    Sales records them as returned lines, one per line, so revenue is net of them."""

    event_type = "crm.support.ReturnReceived.v1"

    return_id: str
    customer_id: str
    order_id: str
    rma: Rma
    lines: ReturnLines
    reason: CaseReason


class ReturnResolved(DomainEvent):
    """What the customer got for the goods received: a refund (sales refunds what those lines
    billed, or credits it when nothing was paid), an exchange or a repair (free under
    warranty)."""

    event_type = "crm.support.ReturnResolved.v1"

    return_id: str
    customer_id: str
    order_id: str
    resolution: ReturnResolution
    under_warranty: bool = False
    lines: ReturnLines
