"""HTTP API for customers: registration, contact points, profile, consent, merge, erasure."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from crm_contacts_contracts.events import (
    AcquisitionChannel,
    ConsentChannel,
    ConsentPurpose,
    ContactPointKind,
    CustomerType,
    InterestKind,
    Lifecycle,
    PartyKind,
    PersonalDateKind,
)
from crm_kernel.application import CommandResult
from crm_kernel.contact_points import normalise_email, normalise_phone
from crm_kernel.domain.envelope import utcnow
from crm_kernel.domain.errors import DomainError
from crm_kernel.http import CommandAccepted, accept
from crm_kernel.openapi import SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import (
    ErasureRequest,
    Line,
    OptionalLine,
    OptionalText,
    RequestBody,
    Text,
)
from crm_kernel.timeinput import OccurredAt
from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from crm_contacts.application.duplicates import Outcome
from crm_contacts.domain import customer as c
from crm_contacts.entrypoints.dependencies import CustomerHandler, Meta, Reader, UseCases

router = APIRouter(prefix="/customers", tags=["customers"], responses=SUBJECT_COMMAND_ERRORS)

Name = Field(min_length=1, max_length=200)
Short = Field(min_length=1, max_length=100)


class Duplicate(BaseModel):
    customer_id: str
    reason: str


class Accepted(CommandAccepted):
    customer_id: UUID
    possible_duplicates: list[Duplicate] = []


def accepted(customer_id: UUID | str, outcome: Outcome | CommandResult) -> Accepted:
    """The answer of a use case: its result, and the likely duplicates it reported."""
    if isinstance(outcome, Outcome):
        return Accepted.of(
            outcome.result,
            customer_id=UUID(str(customer_id)),
            possible_duplicates=[Duplicate(**d.__dict__) for d in outcome.possible_duplicates],
        )
    return Accepted.of(outcome, customer_id=UUID(str(customer_id)))


async def handled(
    customers: CustomerHandler, customer_id: UUID, command: c.Command, meta: Meta
) -> Accepted:
    """The answer of a command on the customer's own stream alone."""
    stream = c.stream_of(command.customer_id)
    return await accept(customers, stream, command, meta, Accepted, customer_id=customer_id)


class RegisterCustomerRequest(RequestBody):
    customer_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    kind: PartyKind = PartyKind.PERSON
    customer_type: CustomerType = CustomerType.CONSUMER
    name: Line = Name
    email: OptionalLine = None
    phone: OptionalLine = None
    acquisition_channel: AcquisitionChannel | None = None
    owner: OptionalLine = Field(default=None, max_length=100)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)


@router.post("", status_code=201, response_model=Accepted)
async def register_customer(body: RegisterCustomerRequest, app: UseCases, meta: Meta) -> Accepted:
    """Register a person or organisation. Likely duplicates are reported, not refused."""
    command = c.RegisterCustomer(**body.model_dump(mode="json"))
    return accepted(body.customer_id, await app.registration.register(command, meta))


class RenameRequest(RequestBody):
    name: Line = Name


@router.post("/{customer_id}/name", response_model=Accepted)
async def rename(
    customer_id: UUID, body: RenameRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.RenameCustomer(customer_id=str(customer_id), name=body.name)
    return await handled(customers, customer_id, cmd, meta)


class ContactPointRequest(RequestBody):
    point_id: str = Field(default_factory=lambda: str(uuid4()), pattern=r"^[A-Za-z0-9_-]{1,64}$")
    kind: ContactPointKind
    value: Text = Field(min_length=1, max_length=500)  # a postal address has lines
    label: OptionalLine = Field(default=None, max_length=60)
    primary: bool = Field(default=False, strict=True)  # not "yes" or 1


@router.post("/{customer_id}/contact-points", status_code=201, response_model=Accepted)
async def add_contact_point(
    customer_id: UUID, body: ContactPointRequest, app: UseCases, meta: Meta
) -> Accepted:
    """Add an e-mail, phone, address, website or social profile (normalised; E.164 phones)."""
    cmd = c.AddContactPoint(customer_id=str(customer_id), **body.model_dump())
    return accepted(customer_id, await app.registration.add_contact_point(cmd, meta))


@router.post("/{customer_id}/contact-points/{point_id}/verify", response_model=Accepted)
async def verify_contact_point(
    customer_id: UUID, point_id: str, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.VerifyContactPoint(customer_id=str(customer_id), point_id=point_id)
    return await handled(customers, customer_id, cmd, meta)


@router.post("/{customer_id}/contact-points/{point_id}/primary", response_model=Accepted)
async def make_primary(
    customer_id: UUID, point_id: str, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.SetPrimaryContactPoint(customer_id=str(customer_id), point_id=point_id)
    return await handled(customers, customer_id, cmd, meta)


@router.delete("/{customer_id}/contact-points/{point_id}", response_model=Accepted)
async def remove_contact_point(
    customer_id: UUID, point_id: str, app: UseCases, meta: Meta
) -> Accepted:
    cmd = c.RemoveContactPoint(customer_id=str(customer_id), point_id=point_id)
    return accepted(customer_id, await app.registration.remove_contact_point(cmd, meta))


class PreferredChannelRequest(RequestBody):
    channel: ConsentChannel


@router.put("/{customer_id}/preferred-channel", response_model=Accepted)
async def preferred_channel(
    customer_id: UUID, body: PreferredChannelRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.SetPreferredChannel(customer_id=str(customer_id), channel=body.channel)
    return await handled(customers, customer_id, cmd, meta)


class OwnerRequest(RequestBody):
    owner: Line = Short


@router.put("/{customer_id}/owner", response_model=Accepted)
async def assign_owner(
    customer_id: UUID, body: OwnerRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.AssignOwner(customer_id=str(customer_id), owner=body.owner)
    return await handled(customers, customer_id, cmd, meta)


class AcquisitionRequest(RequestBody):
    channel: AcquisitionChannel
    detail: OptionalLine = Field(default=None, max_length=200)


@router.put("/{customer_id}/acquisition", response_model=Accepted)
async def acquisition(
    customer_id: UUID, body: AcquisitionRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    """How the customer found us."""
    cmd = c.RecordAcquisitionChannel(customer_id=str(customer_id), **body.model_dump())
    return await handled(customers, customer_id, cmd, meta)


class PersonalDateRequest(RequestBody):
    kind: PersonalDateKind
    date: Line = Field(description="YYYY-MM-DD, or --MM-DD without a year", examples=["--03-14"])
    label: OptionalLine = Field(default=None, max_length=60)


@router.post("/{customer_id}/personal-dates", status_code=201, response_model=Accepted)
async def personal_date(
    customer_id: UUID, body: PersonalDateRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.RecordPersonalDate(customer_id=str(customer_id), **body.model_dump())
    return await handled(customers, customer_id, cmd, meta)


class FamilyNoteRequest(RequestBody):
    note: Text = Field(min_length=1, max_length=2000)


@router.post("/{customer_id}/family-notes", status_code=201, response_model=Accepted)
async def family_note(
    customer_id: UUID, body: FamilyNoteRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.RecordFamilyNote(customer_id=str(customer_id), note=body.note)
    return await handled(customers, customer_id, cmd, meta)


class InterestRequest(RequestBody):
    kind: InterestKind
    value: Line = Field(min_length=1, max_length=200)


@router.post("/{customer_id}/interests", status_code=201, response_model=Accepted)
async def interest(
    customer_id: UUID, body: InterestRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    """A hobby, or a membership of a group or association."""
    cmd = c.AddInterest(customer_id=str(customer_id), **body.model_dump())
    return await handled(customers, customer_id, cmd, meta)


TAG = re.compile(r"^[\w-]{1,40}$")


@router.put("/{customer_id}/tags/{tag}", response_model=Accepted)
async def add_tag(customer_id: UUID, tag: str, customers: CustomerHandler, meta: Meta) -> Accepted:
    cmd = c.AddTag(customer_id=str(customer_id), tag=_tag(tag))
    return await handled(customers, customer_id, cmd, meta)


@router.delete("/{customer_id}/tags/{tag}", response_model=Accepted)
async def remove_tag(
    customer_id: UUID, tag: str, customers: CustomerHandler, meta: Meta
) -> Accepted:
    cmd = c.RemoveTag(customer_id=str(customer_id), tag=_tag(tag))
    return await handled(customers, customer_id, cmd, meta)


def _tag(tag: str) -> str:
    clean = tag.strip().lower()
    if not TAG.match(clean):
        raise DomainError("tags are 1-40 letters, digits, '_' or '-'", field="tag")
    return clean


class LinkRequest(RequestBody):
    organisation_id: UUID
    role: Line = Short


@router.post("/{customer_id}/organisations", status_code=201, response_model=Accepted)
async def link(customer_id: UUID, body: LinkRequest, app: UseCases, meta: Meta) -> Accepted:
    """Link a person to an organisation with a role (a B2B contact)."""
    outcome = await app.organisations.link(
        str(customer_id), str(body.organisation_id), body.role, meta
    )
    return accepted(customer_id, outcome)


@router.delete("/{customer_id}/organisations/{organisation_id}", response_model=Accepted)
async def unlink(customer_id: UUID, organisation_id: UUID, app: UseCases, meta: Meta) -> Accepted:
    return accepted(
        customer_id, await app.organisations.end_link(str(customer_id), str(organisation_id), meta)
    )


class LifecycleRequest(RequestBody):
    lifecycle: Lifecycle
    reason: OptionalText = Field(default=None, max_length=200)


@router.put("/{customer_id}/lifecycle", response_model=Accepted)
async def lifecycle(
    customer_id: UUID, body: LifecycleRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    """prospect -> active -> inactive -> closed; back to active is a reactivation."""
    cmd = c.ChangeLifecycle(customer_id=str(customer_id), **body.model_dump())
    return await handled(customers, customer_id, cmd, meta)


class ConsentRequest(RequestBody):
    channel: ConsentChannel
    purpose: ConsentPurpose
    status: Literal["opt_in", "opt_out"]
    source: Line = Field(min_length=1, max_length=100, examples=["web-form", "call-centre"])
    at: OccurredAt | None = None


@router.post("/{customer_id}/consents", response_model=Accepted)
async def consent(
    customer_id: UUID, body: ConsentRequest, customers: CustomerHandler, meta: Meta
) -> Accepted:
    """Opt in or out of contact on a channel for a purpose, with its source and time."""
    at: datetime = body.at or utcnow()
    kind = c.GiveConsent if body.status == "opt_in" else c.WithdrawConsent
    cmd = kind(
        customer_id=str(customer_id),
        channel=body.channel,
        purpose=body.purpose,
        source=body.source,
        at=at,
    )
    given = meta.happened_at(body.at)  # when given, if it says
    return await handled(customers, customer_id, cmd, given)


class MergeRequest(RequestBody):
    survivor_id: UUID


@router.post("/{customer_id}/merge", response_model=Accepted)
async def merge(customer_id: UUID, body: MergeRequest, app: UseCases, meta: Meta) -> Accepted:
    """Fold this customer into `survivor_id`; its history stays and its id redirects."""
    return accepted(
        customer_id, await app.merging.merge(str(customer_id), str(body.survivor_id), meta)
    )


@router.post("/{customer_id}/erasure", response_model=Accepted)
async def erase(customer_id: UUID, body: ErasureRequest, app: UseCases, meta: Meta) -> Accepted:
    """Right to be forgotten: deletes the customer's data key (crypto-shredding)."""
    result = await app.erasure.erase(str(customer_id), body.requested_by, body.reason, meta)
    return accepted(customer_id, result)


@router.get("/{customer_id}/export")
async def export(customer_id: UUID, app: UseCases, _: Reader) -> dict[str, Any]:
    """Right of access: all the contacts context holds on the customer, as JSON."""
    return await app.export.export(str(customer_id))
