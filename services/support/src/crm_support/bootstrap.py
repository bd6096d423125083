"""Composition root of the support service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_support.application.auto_close import KIND as AUTO_CLOSE
from crm_support.application.auto_close import AutoClose
from crm_support.application.case_intake import CaseIntake
from crm_support.domain.case import case_decider
from crm_support.entrypoints import auto_close
from crm_support.entrypoints.case_ingest import subscribe_case_ingest
from crm_support.entrypoints.http import router
from crm_support.settings import SupportSettings


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    """`settings`: the kernel's alone take the service desk's own from the environment."""
    if not isinstance(settings, SupportSettings):
        settings = SupportSettings(**(settings.model_dump() if settings is not None else {}))
    service = build_write_service(
        "support", [router], settings, extra_topics=[auto_close.DEAD_LETTERS]
    )
    service.app.state.support_settings = settings
    deadlines = service.deadlines
    closing = AutoClose(service.handlers.of(case_decider), deadlines, settings.case_auto_close_days)
    service.watch(
        auto_close.subscribe_auto_close(service.broker, closing, settings.consumer_stall_s)
    )
    service.raise_deadlines({AUTO_CLOSE: closing.close})
    intake = CaseIntake(service.handlers.of(case_decider))
    service.take_ingest(subscribe_case_ingest(service.broker, intake, settings.consumer_stall_s))
    return service
