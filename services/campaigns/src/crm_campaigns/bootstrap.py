"""Composition root of the campaigns service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_campaigns.adapters.audience_facts import MongoAudienceFacts
from crm_campaigns.application.launching import Launching
from crm_campaigns.domain.campaign import campaign_decider
from crm_campaigns.entrypoints import audience_facts
from crm_campaigns.entrypoints.campaigns import router as campaigns_router
from crm_campaigns.entrypoints.http import router


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    settings = settings or ServiceSettings()
    service = build_write_service(
        "campaigns", [router, campaigns_router], settings,
        extra_topics=[audience_facts.DEAD_LETTERS],
    )  # fmt: skip
    facts = MongoAudienceFacts(service.database)
    service.app.state.launching = Launching(service.handlers.of(campaign_decider), facts)
    service.watch(
        audience_facts.subscribe_audience_facts(service.broker, facts, settings.consumer_stall_s)
    )
    return service
