"""Launching a campaign (ADR 52): its audience is resolved over the facts campaigns knows of
every customer, as of the launch, and recorded with the launch; a retry of a launched
campaign records nothing (the campaign refuses nothing twice)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from crm_campaigns_contracts.events import CampaignStatus
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
    ) -> tuple[CommandResult, Counts]:
        """The launch and the audience it recorded. A campaign past planning is not resolved
        again: the campaign records nothing for a retry, or refuses the step."""
        stream = campaign.stream_of(campaign_id)
        state, _ = await self._campaigns.load(stream)
        if state.created is not None and state.status is not CampaignStatus.PLANNING:
            nothing = Launch(campaign_id=campaign_id, members=(), excluded=(), resolved_at=at)
            done = await self._campaigns.handle(stream, nothing, metadata)
            return done, Counts(state.members, dict(state.excluded))
        resolved = await self.preview(campaign_id, at)
        command = Launch(
            campaign_id=campaign_id, members=resolved.members, excluded=resolved.excluded,
            resolved_at=at,
        )  # fmt: skip
        return await self._campaigns.handle(stream, command, metadata), counts_of(resolved)


@dataclass(frozen=True)
class Counts:
    members: int
    excluded: dict[str, int]  # by reason


def counts_of(resolved: Resolved) -> Counts:
    return Counts(len(resolved.members), dict(Counter(e.reason for e in resolved.excluded)))
