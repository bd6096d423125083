"""Launching a campaign (ADR 52): its audience is resolved over the facts campaigns knows of
every customer, as of the launch, and recorded with the launch; a retry of a launched
campaign records nothing (the campaign refuses nothing twice)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, NotFoundError

from crm_campaigns.domain import campaign
from crm_campaigns.domain.audience import Resolved, resolve
from crm_campaigns.domain.campaign import Campaign, CampaignCommand, Launch


class AudienceFacts(Protocol):
    async def every(self) -> Iterable[dict[str, Any]]: ...


class Launching:
    def __init__(
        self, campaigns: CommandHandler[Campaign, CampaignCommand], facts: AudienceFacts
    ) -> None:
        self._campaigns, self._facts = campaigns, facts

    async def preview(self, campaign_id: str, at: datetime) -> Resolved:
        """Who the audience would reach if it were launched at `at` (nothing is recorded)."""
        state, _ = await self._campaigns.load(campaign.stream_of(campaign_id))
        if state.created is None:
            raise NotFoundError(f"no campaign {campaign_id}: create it first")
        if state.audience is None:
            raise ConflictError(f"campaign {campaign_id} has no audience: define it first")
        audience = state.audience
        return resolve(
            audience.rules, audience.include, audience.exclude, state.created.channel,
            await self._facts.every(), at,
        )  # fmt: skip

    async def launch(
        self, campaign_id: str, at: datetime, metadata: Metadata
    ) -> tuple[CommandResult, Resolved]:
        resolved = await self.preview(campaign_id, at)
        stream = campaign.stream_of(campaign_id)
        command = Launch(
            campaign_id=campaign_id, members=resolved.members, excluded=resolved.excluded,
            resolved_at=at,
        )  # fmt: skip
        return await self._campaigns.handle(stream, command, metadata), resolved
