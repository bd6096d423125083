"""Composition root of the sales service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_sales.application.lead_conversion import LeadConversion
from crm_sales.application.lead_erasure import LeadErasure
from crm_sales.domain.lead import lead_decider
from crm_sales.domain.opportunity import opportunity_decider
from crm_sales.entrypoints import http, leads, opportunities
from crm_sales.settings import SalesSettings


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    """`settings`: the kernel's alone take the sales team's lists from the environment."""
    if not isinstance(settings, SalesSettings):
        settings = SalesSettings(**(settings.model_dump() if settings is not None else {}))
    routers = [http.router, leads.router, opportunities.router]
    service = build_write_service("sales", routers, settings)
    service.app.state.sales_settings = settings
    service.app.state.lead_disqualification_reasons = settings.lead_disqualification_reasons
    lead_handler = service.handlers.of(lead_decider)
    service.app.state.lead_erasure = LeadErasure(lead_handler, service.keys)
    service.app.state.lead_conversion = LeadConversion(
        lead_handler, service.handlers.of(opportunity_decider), settings.sales_pipelines
    )
    return service
