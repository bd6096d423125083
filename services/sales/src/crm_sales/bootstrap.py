"""Composition root of the sales service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_sales.application.lead_erasure import LeadErasure
from crm_sales.domain.lead import lead_decider
from crm_sales.entrypoints import http, leads
from crm_sales.settings import SalesSettings


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    """`settings`: the kernel's alone take the sales team's lists from the environment."""
    if not isinstance(settings, SalesSettings):
        settings = SalesSettings(**(settings.model_dump() if settings is not None else {}))
    service = build_write_service("sales", [http.router, leads.router], settings)
    service.app.state.lead_disqualification_reasons = settings.lead_disqualification_reasons
    service.app.state.lead_erasure = LeadErasure(service.handlers.of(lead_decider), service.keys)
    return service
