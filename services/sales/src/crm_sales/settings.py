"""Settings of the sales service: the kernel's, plus the sales team's own lists."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.settings import ServiceSettings
from crm_sales_contracts.events import DISQUALIFICATION_REASON
from pydantic import Field

from crm_sales.domain.lead import DEFAULT_DISQUALIFICATION_REASONS


class SalesSettings(ServiceSettings):
    # Why a lead may be disqualified: `CRM_LEAD_DISQUALIFICATION_REASONS` as a JSON list,
    # e.g. '["too expensive", "no need", "other"]'. Requests name one in any letter case.
    lead_disqualification_reasons: tuple[Annotated[str, DISQUALIFICATION_REASON], ...] = Field(
        default=DEFAULT_DISQUALIFICATION_REASONS, min_length=1, max_length=100
    )
