"""The customer aggregate: its commands (`commands`), state and fold (`state`), one decision
per command (`decisions`) and the limits on a record (`limits`), put together as a decider."""

from __future__ import annotations

from crm_kernel.domain.decider import Decider

from crm_contacts.domain.customer.commands import (
    Absorb,
    AddContactPoint,
    AddInterest,
    AddTag,
    AssignOwner,
    AttachLead,
    ChangeLifecycle,
    Command,
    EndLinkToOrganisation,
    EraseCustomer,
    GiveConsent,
    LinkToOrganisation,
    MergeInto,
    OrganisationFacts,
    RecordAcquisitionChannel,
    RecordFamilyNote,
    RecordPersonalDate,
    RecordPossibleDuplicates,
    RegisterCustomer,
    RemoveContactPoint,
    RemoveTag,
    RenameCustomer,
    SetPreferredChannel,
    SetPrimaryContactPoint,
    VerifyContactPoint,
    WithdrawConsent,
)
from crm_contacts.domain.customer.decisions import TRANSITIONS, decide
from crm_contacts.domain.customer.limits import (
    MAX_FAMILY_NOTES,
    MAX_INTERESTS,
    MAX_PERSONAL_DATES,
    MAX_TAGS,
    POINT_LIMITS,
)
from crm_contacts.domain.customer.state import Customer, Point, consent_of, evolve, may_contact


def stream_of(customer_id: str) -> str:
    return f"customer-{customer_id}"


customer_decider: Decider[Customer, Command] = Decider(
    initial_state=Customer,
    decide=decide,
    evolve=evolve,
    # The customer's own stream knows its erasure (and records it after the key is gone).
    decides_erasure=True,
    opens_customer=True,
    # 2: the profile's counts (for the limits); 3: the prospects of converted leads.
    snapshot_version=3,
)

__all__ = [
    "MAX_FAMILY_NOTES",
    "MAX_INTERESTS",
    "MAX_PERSONAL_DATES",
    "MAX_TAGS",
    "POINT_LIMITS",
    "TRANSITIONS",
    "Absorb",
    "AddContactPoint",
    "AddInterest",
    "AddTag",
    "AssignOwner",
    "AttachLead",
    "ChangeLifecycle",
    "Command",
    "Customer",
    "EndLinkToOrganisation",
    "EraseCustomer",
    "GiveConsent",
    "LinkToOrganisation",
    "MergeInto",
    "OrganisationFacts",
    "Point",
    "RecordAcquisitionChannel",
    "RecordFamilyNote",
    "RecordPersonalDate",
    "RecordPossibleDuplicates",
    "RegisterCustomer",
    "RemoveContactPoint",
    "RemoveTag",
    "RenameCustomer",
    "SetPreferredChannel",
    "SetPrimaryContactPoint",
    "VerifyContactPoint",
    "WithdrawConsent",
    "consent_of",
    "customer_decider",
    "decide",
    "evolve",
    "may_contact",
    "stream_of",
]
