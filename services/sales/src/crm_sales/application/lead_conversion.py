"""Converting a lead, with the opportunity it may open (ADR 29, 30): two streams, so two
commands in order. The opportunity's id comes from the lead, and each command records
nothing when asked again, so a retry after a failure between them finishes the job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError
from crm_sales_contracts.events import ForecastCategory

from crm_sales.domain import lead, opportunity
from crm_sales.domain.lead import ConvertLead, Lead, LeadCommand, opportunity_id_of
from crm_sales.domain.opportunity import OpenOpportunity, Opportunity, OpportunityCommand
from crm_sales.domain.pipelines import Pipeline


@dataclass(frozen=True)
class Opening:
    """The opportunity asked for with a conversion; what it leaves out comes from the lead
    (amount and currency from its estimate, owner from its owner)."""

    name: str
    expected_close: date
    amount: Decimal | None = None
    currency: str | None = None
    owner: str | None = None
    team: str | None = None
    products: tuple[str, ...] = ()
    pipeline: str = "default"
    stage: str | None = None
    probability: int | None = None
    forecast_category: ForecastCategory | None = None


@dataclass(frozen=True)
class Converted:
    lead: CommandResult
    opportunity: CommandResult | None


class LeadConversion:
    def __init__(
        self,
        leads: CommandHandler[Lead, LeadCommand],
        deals: CommandHandler[Opportunity, OpportunityCommand],
        pipelines: tuple[Pipeline, ...],
    ) -> None:
        self._leads = leads
        self._deals = deals
        self._pipelines = pipelines

    async def convert(
        self, command: ConvertLead, opening: Opening | None, metadata: Metadata
    ) -> Converted:
        stream = lead.stream_of(command.lead_id)
        if opening is None:
            return Converted(await self._leads.handle(stream, command, metadata), None)
        command = command.model_copy(update={"opportunity_id": opportunity_id_of(command.lead_id)})
        # What the deal takes from the lead is checked first: a refusal converts nothing.
        before, _ = await self._leads.load(stream)
        if before.facts is None:  # never captured, or erased: the decider answers which
            return Converted(await self._leads.handle(stream, command, metadata), None)
        amount, currency, owner = _from_lead(before, opening)
        converted = await self._leads.handle(stream, command, metadata)
        state: Lead = converted.state
        done, facts = state.converted, state.facts
        assert done is not None and facts is not None and done.opportunity_id is not None
        deal = OpenOpportunity(
            opportunity_id=done.opportunity_id,
            customer_id=done.customer_id,
            name=opening.name,
            owner=owner,
            team=opening.team,
            amount=amount,
            currency=currency,
            expected_close=opening.expected_close,
            products=opening.products,
            pipeline=opening.pipeline,
            stage=opening.stage,
            probability=opening.probability,
            forecast_category=opening.forecast_category,
            source=facts.channel,
            lead_id=command.lead_id,
            campaign_id=facts.campaign_id,
            pipelines=self._pipelines,
        )
        deals = opportunity.stream_of(done.opportunity_id)
        return Converted(converted, await self._deals.handle(deals, deal, metadata))


def _from_lead(state: Lead, opening: Opening) -> tuple[Decimal, str, str]:
    """The deal's amount, currency and owner: the opening's, else the lead's."""
    facts = state.facts
    assert facts is not None
    amount = opening.amount if opening.amount is not None else facts.estimated_value
    currency = opening.currency or facts.currency
    if amount is None or currency is None:
        raise DomainError(
            "the lead has no estimated value: give the opportunity's amount and currency",
            field="opportunity.amount",
        )
    owner = opening.owner or state.owner
    if owner is None:
        raise DomainError(
            "the lead has no owner: name the opportunity's", field="opportunity.owner"
        )
    return amount, currency, owner
