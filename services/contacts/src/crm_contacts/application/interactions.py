"""Logging an interaction and scheduling an activity: both name a customer, whose stream says
whether they exist (a merged id leads to its survivor) and, for outbound contact, whether their
consent allows it."""

from __future__ import annotations

from typing import Any

from crm_contacts_contracts.events import ConsentPurpose
from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_contacts.application.customers import Customers
from crm_contacts.domain import activity, interaction
from crm_contacts.domain.customer import may_contact


class InteractionLogging:
    def __init__(
        self,
        customers: Customers,
        interactions: CommandHandler[interaction.Interaction, interaction.InteractionCommand],
    ) -> None:
        self._customers = customers
        self._interactions = interactions

    async def log(self, fields: dict[str, Any], metadata: Metadata) -> CommandResult:
        """`fields`: a LogInteraction's, but the facts about the customer."""
        customer_id, loaded = await self._customers.resolve_loaded(fields["customer_id"])
        state = loaded.state
        channel = interaction.CONSENT_CHANNEL.get(fields["channel"])
        purpose = ConsentPurpose(fields.get("purpose") or ConsentPurpose.SERVICE)
        facts = interaction.CustomerFacts(
            registered=state.registered,
            erased=state.erased,
            may_contact=channel is None or may_contact(state, channel, purpose),
        )
        command = interaction.LogInteraction(
            **{**fields, "customer_id": customer_id}, customer=facts
        )
        # The customer's key, read by the load above, seals the interaction (ADR 27).
        return await self._interactions.handle(
            interaction.stream_of(command.interaction_id), command, metadata, keys=loaded.keys
        )


class ActivityScheduling:
    def __init__(
        self,
        customers: Customers,
        activities: CommandHandler[activity.Activity, activity.ActivityCommand],
    ) -> None:
        self._customers = customers
        self._activities = activities

    async def schedule(self, fields: dict[str, Any], metadata: Metadata) -> CommandResult:
        """`fields`: a ScheduleActivity's, but the facts about the customer."""
        customer_id, state = await self._customers.resolve(fields["customer_id"])
        facts = interaction.CustomerFacts(
            registered=state.registered, erased=state.erased, may_contact=True
        )
        command = activity.ScheduleActivity(
            **{**fields, "customer_id": customer_id}, customer=facts
        )
        return await self._activities.handle(
            activity.stream_of(command.activity_id), command, metadata
        )
