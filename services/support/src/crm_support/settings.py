"""Settings of the support service: the kernel's, plus the service desk's own."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.settings import ServiceSettings
from crm_support_contracts.events import REASON
from pydantic import Field

from crm_support.domain.case import DEFAULT_REJECTION_REASONS


class SupportSettings(ServiceSettings):
    # Why a case may be turned down: `CRM_CASE_REJECTION_REASONS`, a JSON list, e.g.
    # '["spam", "other"]'. Requests name one in any letter case.
    case_rejection_reasons: tuple[Annotated[str, REASON], ...] = Field(
        default=DEFAULT_REJECTION_REASONS, min_length=1, max_length=100
    )
    # Days after its resolution a case closes by itself unless reopened (a customer's reply
    # reopens it): `CRM_CASE_AUTO_CLOSE_DAYS`.
    case_auto_close_days: int = Field(default=7, ge=1, le=365)
