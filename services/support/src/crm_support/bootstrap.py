"""Composition root of the support service."""

from __future__ import annotations

from crm_kernel.adapters.mongo_work_book import MongoWorkBook
from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_support.adapters.customer_types import MongoCustomerTypes
from crm_support.application import auto_close, sla_deadlines
from crm_support.application.auto_close import AutoClose
from crm_support.application.case_intake import CaseIntake
from crm_support.application.case_opening import CaseOpening
from crm_support.application.sla_deadlines import SlaDeadlines
from crm_support.domain.case import case_decider
from crm_support.domain.team import team_decider
from crm_support.entrypoints import case_followup, customer_types
from crm_support.entrypoints.case_ingest import subscribe_case_ingest
from crm_support.entrypoints.http import router
from crm_support.entrypoints.returns import router as returns_router
from crm_support.entrypoints.surveys import router as surveys_router
from crm_support.entrypoints.surveys import subscribe_survey_ingest
from crm_support.entrypoints.teams import router as teams_router
from crm_support.settings import SupportSettings


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    """`settings`: the kernel's alone take the service desk's own from the environment."""
    if not isinstance(settings, SupportSettings):
        settings = SupportSettings(**(settings.model_dump() if settings is not None else {}))
    service = build_write_service(
        "support",
        [router, teams_router, surveys_router, returns_router],
        settings,
        extra_topics=[case_followup.DEAD_LETTERS, customer_types.DEAD_LETTERS],
    )
    stall_s = settings.consumer_stall_s
    cases = service.handlers.of(case_decider)
    types = MongoCustomerTypes(service.database)
    book = MongoWorkBook(service.database, "case_book")
    opening = CaseOpening(
        cases,
        service.handlers.of(team_decider),
        types,
        book,
        settings.sla_policies,
        settings.working_calendar,
    )
    service.app.state.support_settings = settings
    service.app.state.case_opening = opening
    closing = AutoClose(cases, service.deadlines, settings.case_auto_close_days)
    breaches = SlaDeadlines(cases, service.deadlines)
    service.watch(
        case_followup.subscribe_case_followup(service.broker, book, breaches, closing, stall_s)
    )
    service.watch(customer_types.subscribe_customer_types(service.broker, types, stall_s))
    service.raise_deadlines({auto_close.KIND: closing.close, sla_deadlines.KIND: breaches.breach})
    intake = CaseIntake(cases, opening)
    service.take_ingest(subscribe_case_ingest(service.broker, intake, stall_s))
    service.take_ingest(subscribe_survey_ingest(service.broker, cases, stall_s))
    return service
