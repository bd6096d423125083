"""Use cases of the contacts context that read or write more than one stream.

Each step is a decision of a pure decider; this layer only gathers the facts a decider needs
from other streams (does the organisation exist? may we contact this customer?) and keeps the
duplicate index in step.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_contacts_contracts.events import ConsentPurpose, ContactPointKind, DuplicateReason
from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata, utcnow
from crm_kernel.domain.errors import GoneError, NotFoundError
from crm_kernel.domain.events import as_current
from crm_kernel.ports.eventstore import EventStore
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all

from crm_contacts.adapters.duplicate_index import DuplicateIndex
from crm_contacts.domain import activity, customer, interaction
from crm_contacts.domain.customer import Customer, may_contact

PHONE_KINDS = {ContactPointKind.LANDLINE, ContactPointKind.MOBILE, ContactPointKind.WHATSAPP}
MAX_MERGE_HOPS = 16


def lookup_kind(kind: ContactPointKind) -> str | None:
    """E-mails match e-mails; every kind of phone number matches every other."""
    if kind is ContactPointKind.EMAIL:
        return "email"
    return "phone" if kind in PHONE_KINDS else None


# The reason a match gives: a code, never the e-mail or phone that matched (it outlives erasure).
REASONS = {"email": DuplicateReason.SAME_EMAIL, "phone": DuplicateReason.SAME_PHONE}


@dataclass(frozen=True)
class Duplicate:
    customer_id: str
    reason: DuplicateReason


@dataclass(frozen=True)
class Outcome:
    result: CommandResult
    possible_duplicates: list[Duplicate]


class ContactsApp:
    def __init__(
        self,
        *,
        customers: CommandHandler[Customer, customer.Command],
        interactions: CommandHandler[Any, Any],
        activities: CommandHandler[Any, Any],
        index: DuplicateIndex,
        keys: KeyStore,
        store: EventStore,
    ) -> None:
        self._customers = customers
        self._interactions = interactions
        self._activities = activities
        self._index = index
        self._keys = keys
        self._store = store

    async def customer(self, command: customer.Command, metadata: Metadata) -> CommandResult:
        """A command that touches only the customer's own stream."""
        return await self._customers.handle(
            customer.stream_of(command.customer_id), command, metadata
        )

    async def state(self, customer_id: str) -> Customer:
        return (await self._customers.load(customer.stream_of(customer_id)))[0]

    async def register(self, command: customer.RegisterCustomer, metadata: Metadata) -> Outcome:
        result = await self.customer(command, metadata)
        state: Customer = result.state
        return await self._check_points(
            command.customer_id, state, list(state.points), metadata, result
        )

    async def add_contact_point(
        self, command: customer.AddContactPoint, metadata: Metadata
    ) -> Outcome:
        result = await self.customer(command, metadata)
        state: Customer = result.state
        return await self._check_points(
            command.customer_id, state, [command.point_id], metadata, result
        )

    async def remove_contact_point(
        self, command: customer.RemoveContactPoint, metadata: Metadata
    ) -> CommandResult:
        point = (await self.state(command.customer_id)).points.get(command.point_id)
        result = await self.customer(command, metadata)
        kind = lookup_kind(point.kind) if point else None
        if point and kind:
            await self._index.remove_value(command.customer_id, kind, point.value)
        return result

    async def _check_points(
        self,
        customer_id: str,
        state: Customer,
        point_ids: list[str],
        metadata: Metadata,
        result: CommandResult,
    ) -> Outcome:
        found: dict[str, DuplicateReason] = {}
        for point_id in point_ids:
            point = state.points[point_id]
            kind = lookup_kind(point.kind)
            if kind is None:
                continue
            for other in await self._index.owners_of(kind, point.value):
                if other != customer_id:
                    found.setdefault(other, REASONS[kind])
            await self._index.add_value(customer_id, kind, point.value)
        return await self._record_duplicates(customer_id, found, metadata, result)

    async def _record_duplicates(
        self,
        customer_id: str,
        found: dict[str, DuplicateReason],
        metadata: Metadata,
        result: CommandResult,
    ) -> Outcome:
        if found:
            result = await self.customer(
                customer.RecordPossibleDuplicates(
                    customer_id=customer_id, found=tuple(found.items())
                ),
                metadata,
            )
        return Outcome(result, [Duplicate(c, r) for c, r in found.items()])

    async def link_to_organisation(
        self, customer_id: str, organisation_id: str, role: str, metadata: Metadata
    ) -> Outcome:
        org = await self.state(organisation_id)
        facts = customer.OrganisationFacts(
            registered=org.registered,
            is_organisation=org.kind is not None and org.kind.value == "organisation",
            erased_or_merged=org.gone,
        )
        result = await self.customer(
            customer.LinkToOrganisation(
                customer_id=customer_id,
                organisation_id=organisation_id,
                role=role,
                organisation=facts,
            ),
            metadata,
        )
        person: Customer = result.state
        found = {
            other: DuplicateReason.SIMILAR_NAME_IN_ORGANISATION
            for other in await self._index.similar_members(organisation_id, person.name)
            if other != customer_id
        }
        await self._index.add_member(organisation_id, customer_id, person.name)
        return await self._record_duplicates(customer_id, found, metadata, result)

    async def end_link(
        self, customer_id: str, organisation_id: str, metadata: Metadata
    ) -> CommandResult:
        result = await self.customer(
            customer.EndLinkToOrganisation(
                customer_id=customer_id, organisation_id=organisation_id
            ),
            metadata,
        )
        await self._index.remove_member(organisation_id, customer_id)
        return result

    async def merge(self, merged_id: str, survivor_id: str, metadata: Metadata) -> CommandResult:
        survivor = await self.state(survivor_id)
        result = await self.customer(
            customer.MergeInto(
                customer_id=merged_id,
                survivor_id=survivor_id,
                survivor_registered=survivor.registered,
                survivor_gone=survivor.gone,
            ),
            metadata,
        )
        # The merged stream's CustomerMerged is the fact; this note on the survivor follows it.
        await self.customer(customer.Absorb(customer_id=survivor_id, merged_id=merged_id), metadata)
        await self._index.forget(merged_id)
        return result

    async def erase(
        self, customer_id: str, requested_by: str, reason: str, metadata: Metadata
    ) -> CommandResult:
        """Right to be forgotten for the person behind `customer_id`. A merged id is erased
        through its survivor, and erasing a customer shreds every customer merged into it,
        transitively (ADR 14): the answer is the survivor's erasure."""
        *on_the_way, survivor = await self._merge_chain(customer_id)
        command = customer.EraseCustomer(
            customer_id=survivor, requested_by=requested_by, reason=reason
        )
        try:
            result = await self.customer(command, metadata)
        except GoneError:
            if (await self.state(survivor)).erased:
                # Finish an erasure cut short earlier.
                await self._shred(command, on_the_way, metadata)
            raise
        await self._shred(command, on_the_way, metadata)
        return result

    async def _shred(
        self, erasure: customer.EraseCustomer, on_the_way: list[str], metadata: Metadata
    ) -> None:
        """Delete the keys of the erased customer and of everyone merged into it, then record
        the erasure on each merged stream too (keys first: they are what makes data gone)."""
        survivor = erasure.customer_id
        merged = list(dict.fromkeys([*on_the_way, *await self._merged_into(survivor)]))
        for cid in (survivor, *merged):
            await self._keys.delete(cid)
            # Sealed under that key, a snapshot is unreadable now; dropping it is tidying.
            await self._customers.drop_snapshot(customer.stream_of(cid))
        for cid in merged:
            with contextlib.suppress(GoneError):  # recorded by an erasure cut short earlier
                await self.customer(
                    erasure.model_copy(update={"customer_id": cid, "survivor_id": survivor}),
                    metadata,
                )
        for cid in (survivor, *merged):
            await self._index.forget(cid)

    async def _merged_into(self, survivor_id: str) -> list[str]:
        """Every customer merged into `survivor_id`, directly or through another merge."""
        found: list[str] = []
        todo = [survivor_id]
        while todo:
            for cid in sorted((await self.state(todo.pop())).absorbed):
                if cid != survivor_id and cid not in found:
                    found.append(cid)
                    todo.append(cid)
        return found

    async def _merge_chain(self, customer_id: str) -> list[str]:
        """The ids from `customer_id` along its merges, the surviving customer last."""
        chain = [customer_id]
        for _ in range(MAX_MERGE_HOPS):
            state = await self.state(chain[-1])
            if state.merged_into is None:
                return chain
            chain.append(state.merged_into)
        raise GoneError(f"customer {customer_id} has too long a merge chain")

    async def resolve(self, customer_id: str) -> tuple[str, Customer]:
        """Follow merges to the surviving customer."""
        for _ in range(MAX_MERGE_HOPS):
            state = await self.state(customer_id)
            if state.merged_into is None:
                return customer_id, state
            customer_id = state.merged_into
        raise GoneError(f"customer {customer_id} has too long a merge chain")

    async def log_interaction(self, fields: dict[str, Any], metadata: Metadata) -> CommandResult:
        customer_id, state = await self.resolve(fields["customer_id"])
        channel = interaction.CONSENT_CHANNEL.get(fields["channel"])
        purpose = ConsentPurpose(fields.get("purpose") or ConsentPurpose.SERVICE)
        allowed = channel is None or may_contact(state, channel, purpose)
        facts = interaction.CustomerFacts(
            registered=state.registered,
            erased=state.erased,
            may_contact=allowed,
        )
        command = interaction.LogInteraction(
            **{**fields, "customer_id": customer_id}, customer=facts
        )
        return await self._interactions.handle(
            interaction.stream_of(command.interaction_id), command, metadata
        )

    async def answer_interaction(
        self, interaction_id: str, answered_at: datetime, metadata: Metadata
    ) -> CommandResult:
        command = interaction.AnswerInteraction(
            interaction_id=interaction_id, answered_at=answered_at
        )
        return await self._interactions.handle(
            interaction.stream_of(interaction_id), command, metadata
        )

    async def schedule_activity(self, fields: dict[str, Any], metadata: Metadata) -> CommandResult:
        customer_id, state = await self.resolve(fields["customer_id"])
        facts = interaction.CustomerFacts(
            registered=state.registered, erased=state.erased, may_contact=True
        )
        command = activity.ScheduleActivity(
            **{**fields, "customer_id": customer_id}, customer=facts
        )
        return await self._activities.handle(
            activity.stream_of(command.activity_id), command, metadata
        )

    async def activity(
        self, command: activity.CancelActivity | activity.CompleteActivity, metadata: Metadata
    ) -> CommandResult:
        return await self._activities.handle(
            activity.stream_of(command.activity_id), command, metadata
        )

    async def export(self, customer_id: str) -> dict[str, Any]:
        """Right of access: every event the contacts context holds on the customer, readable."""
        state = await self.state(customer_id)
        if not state.registered:
            raise NotFoundError(f"unknown customer {customer_id}")
        events = await unseal_all(await self._store.read_customer(customer_id), self._keys)
        return {
            "customer_id": customer_id,
            "exported_at": utcnow().isoformat(),
            "erased": state.erased,
            "merged_into": state.merged_into,
            "events": [
                {**e.model_dump(mode="json"), "data": as_current(e.type, e.data)} for e in events
            ],
        }
