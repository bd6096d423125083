"""Composition root of the sales service."""

from __future__ import annotations

from crm_kernel.adapters.mongo_work_book import MongoWorkBook
from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_sales.adapters.lead_index import MongoLeadIndex
from crm_sales.application.crediting import Crediting
from crm_sales.application.customer_points import CustomerPoints
from crm_sales.application.invoicing import Invoicing
from crm_sales.application.lead_capture import LeadCapture
from crm_sales.application.lead_conversion import LeadConversion
from crm_sales.application.lead_erasure import LeadErasure
from crm_sales.application.order_intake import OrderIntake
from crm_sales.application.order_placement import OrderPlacement
from crm_sales.application.payment_reminders import KIND as REMINDER
from crm_sales.application.payment_reminders import PaymentReminders
from crm_sales.application.quote_acceptance import QuoteAcceptance
from crm_sales.application.quote_lines import QuoteLines
from crm_sales.application.round_robin import RoundRobin
from crm_sales.application.support_returns import SupportReturns
from crm_sales.domain.account import account_decider
from crm_sales.domain.invoice_series import series_decider
from crm_sales.domain.lead import lead_decider
from crm_sales.domain.opportunity import opportunity_decider
from crm_sales.domain.order import order_decider
from crm_sales.domain.product import product_decider
from crm_sales.domain.quote import quote_decider
from crm_sales.domain.team import team_decider
from crm_sales.entrypoints import (
    http,
    invoices,
    lead_book,
    leads,
    opportunities,
    payment_reminders,
    payments,
    products,
    quotes,
    support_returns,
    teams,
)
from crm_sales.entrypoints.customer_points import DEAD_LETTERS, subscribe_customer_points
from crm_sales.entrypoints.ingest import subscribe_ingest
from crm_sales.entrypoints.order_ingest import subscribe_order_ingest
from crm_sales.settings import SalesSettings


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    """`settings`: the kernel's alone take the sales team's lists from the environment."""
    if not isinstance(settings, SalesSettings):
        settings = SalesSettings(**(settings.model_dump() if settings is not None else {}))
    routers = [
        http.router,
        leads.router,
        opportunities.router,
        teams.router,
        products.router,
        quotes.router,
        invoices.router,
        payments.router,
    ]
    topics = [
        lead_book.DEAD_LETTERS,
        DEAD_LETTERS,
        payment_reminders.DEAD_LETTERS,
        support_returns.DEAD_LETTERS,
    ]
    service = build_write_service("sales", routers, settings, extra_topics=topics)
    service.app.state.sales_settings = settings
    service.app.state.lead_disqualification_reasons = settings.lead_disqualification_reasons
    lead_handler = service.handlers.of(lead_decider)
    index = MongoLeadIndex(service.database, service.keys)
    service.app.state.lead_erasure = LeadErasure(lead_handler, service.keys, index)
    service.app.state.lead_conversion = LeadConversion(
        lead_handler, service.handlers.of(opportunity_decider), settings.sales_pipelines
    )
    service.app.state.quote_lines = QuoteLines(service.handlers.of(product_decider))
    placement = OrderPlacement(
        service.handlers.of(order_decider),
        service.handlers.of(account_decider),
        credit_limits=settings.credit_limits,
    )
    service.app.state.order_placement = placement
    service.app.state.quote_acceptance = QuoteAcceptance(
        service.handlers.of(quote_decider),
        service.handlers.of(order_decider),
        service.handlers.of(opportunity_decider),
        placement,
    )
    service.app.state.invoicing = Invoicing(
        service.handlers.of(order_decider),
        service.handlers.of(series_decider),
        service.handlers.of(account_decider),
    )
    service.app.state.crediting = Crediting(
        service.handlers.of(account_decider), service.handlers.of(order_decider)
    )
    book = MongoWorkBook(service.database, "lead_book")
    service.app.state.round_robin = RoundRobin(
        service.handlers.of(team_decider), lead_handler, book
    )
    service.watch(lead_book.subscribe_lead_book(service.broker, book, settings.consumer_stall_s))
    captures = LeadCapture(lead_handler, index)
    service.app.state.lead_capture = captures
    stall_s = settings.consumer_stall_s
    service.take_ingest(subscribe_ingest(service.broker, captures, stall_s))
    intake = OrderIntake(service.handlers.of(order_decider), placement)
    service.take_ingest(subscribe_order_ingest(service.broker, intake, stall_s))
    deadlines = service.deadlines
    reminders = PaymentReminders(
        service.handlers.of(account_decider), deadlines, settings.payment_reminder_days
    )
    service.watch(payment_reminders.subscribe_payment_reminders(service.broker, reminders, stall_s))
    service.raise_deadlines({REMINDER: reminders.remind})
    points = CustomerPoints(index, service.keys)
    service.watch(subscribe_customer_points(service.broker, points, stall_s))
    returns = SupportReturns(
        service.handlers.of(order_decider),
        service.handlers.of(account_decider),
        settings.credit_note_reasons,
    )
    service.watch(support_returns.subscribe_support_returns(service.broker, returns, stall_s))
    return service
