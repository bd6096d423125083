"""What the contacts unit tests share: given/when over the customer decider, command builders,
a fake duplicate lookup, and the use cases wired on in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_contacts.application.use_cases import ContactsUseCases, contacts_use_cases
from crm_contacts.domain import customer as c
from crm_contacts.domain.duplicates import similar
from crm_contacts_contracts import events as ev
from crm_kernel.application import CommandHandlers
from crm_kernel.relay import Relay

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
CID = "c1"


def given(*commands: c.Command) -> list:
    history: list = []
    for command in commands:
        history += c.decide(c.customer_decider.fold(history), command)
    return history


def when(history: list, command: c.Command) -> list:
    return c.decide(c.customer_decider.fold(history), command)


def registered(
    kind: ev.PartyKind = ev.PartyKind.PERSON, cid: str = CID, **extra
) -> c.RegisterCustomer:
    return c.RegisterCustomer(
        customer_id=cid,
        kind=kind,
        customer_type=ev.CustomerType.CONSUMER,
        name="Ana  García",
        **extra,
    )


def point(kind: ev.ContactPointKind, value: str, pid: str = "p1", **extra) -> c.AddContactPoint:
    return c.AddContactPoint(customer_id=CID, point_id=pid, kind=kind, value=value, **extra)


class FakeDuplicateLookup:
    """The duplicate lookup port in memory: values by (kind, value), members by organisation."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], list[str]] = {}
        self.members: dict[str, dict[str, str]] = {}
        self.forgotten: list[str] = []

    async def add_value(self, customer_id: str, kind: str, value: str) -> list[str]:
        owners = self.values.setdefault((kind, value), [])
        before = list(owners)
        if customer_id not in owners:
            owners.append(customer_id)
        return before

    async def remove_value(self, customer_id: str, kind: str, value: str) -> None:
        owners = self.values.get((kind, value), [])
        self.values[(kind, value)] = [o for o in owners if o != customer_id]

    async def similar_members(self, organisation_id: str, name: str) -> list[str]:
        members = self.members.get(organisation_id, {})
        return [cid for cid, other in members.items() if similar(other, name)]

    async def add_member(self, organisation_id: str, customer_id: str, name: str) -> None:
        self.members.setdefault(organisation_id, {})[customer_id] = name

    async def remove_member(self, organisation_id: str, customer_id: str) -> None:
        self.members.get(organisation_id, {}).pop(customer_id, None)

    async def forget(self, customer_id: str) -> None:
        self.forgotten.append(customer_id)
        for key, owners in self.values.items():
            self.values[key] = [o for o in owners if o != customer_id]
        for members in self.members.values():
            members.pop(customer_id, None)


def use_cases(
    index: FakeDuplicateLookup | None = None,
) -> tuple[ContactsUseCases, InMemoryEventStore, InMemoryKeyStore]:
    """The contacts use cases on in-memory fakes: the store, the keys and the lookup."""
    store, keys = InMemoryEventStore(), InMemoryKeyStore()
    relay = Relay(store, InMemoryPublisher())
    handlers = CommandHandlers(source="crm.contacts", store=store, keys=keys, relay=relay)
    return contacts_use_cases(handlers, index or FakeDuplicateLookup(), keys, store), store, keys
