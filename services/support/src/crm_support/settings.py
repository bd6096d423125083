"""Settings of the support service: the kernel's, plus the service desk's own."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.domain.reasons import DEFAULT_RETURN_REASONS
from crm_kernel.settings import ServiceSettings
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import REASON
from pydantic import Field

from crm_support.domain.case import DEFAULT_REJECTION_REASONS
from crm_support.domain.return_request import DEFAULT_REFUSAL_REASONS
from crm_support.domain.sla import DEFAULT_POLICIES, SlaPolicy


class SupportSettings(ServiceSettings):
    # Why a case may be turned down: `CRM_CASE_REJECTION_REASONS`, a JSON list, e.g.
    # '["spam", "other"]'. Requests name one in any letter case.
    case_rejection_reasons: tuple[Annotated[str, REASON], ...] = Field(
        default=DEFAULT_REJECTION_REASONS, min_length=1, max_length=100
    )
    # Days after its resolution a case closes by itself unless reopened (a customer's reply
    # reopens it): `CRM_CASE_AUTO_CLOSE_DAYS`.
    case_auto_close_days: int = Field(default=7, ge=1, le=365)
    # The service levels (ADR 48): `CRM_SLA_POLICIES`, a JSON list of policies, each naming
    # the cases it is for (priority, kind, customer_type, team_id; left out: any) and its
    # targets in working hours, e.g. '[{"name": "vip", "customer_type": "business",
    # "priority": "urgent", "first_response_hours": 0.5, "resolution_hours": 4}]'. The most
    # specific match wins; none: the case has no service level.
    sla_policies: tuple[SlaPolicy, ...] = Field(default=DEFAULT_POLICIES, max_length=200)
    # The working calendar of cases opened in no team (a team has its own):
    # `CRM_WORKING_CALENDAR`, JSON, e.g. '{"time_zone": "Europe/Madrid", "days": [1,2,3,4,5],
    # "opens": "09:00", "closes": "18:00", "holidays": ["2026-12-25"]}'.
    working_calendar: WorkingCalendar = Field(default_factory=WorkingCalendar)
    # Whether a resolution's satisfaction survey asks for NPS (0-10) beside CSAT (1-5):
    # `CRM_SURVEY_NPS`.
    survey_nps: bool = False
    # Why goods come back (`CRM_RETURN_REASONS`, the variable sales reads too: one list for
    # both) and why a return is refused (`CRM_RETURN_REFUSAL_REASONS`), JSON lists.
    return_reasons: tuple[Annotated[str, REASON], ...] = Field(
        default=DEFAULT_RETURN_REASONS, min_length=1, max_length=100
    )
    return_refusal_reasons: tuple[Annotated[str, REASON], ...] = Field(
        default=DEFAULT_REFUSAL_REASONS, min_length=1, max_length=100
    )
