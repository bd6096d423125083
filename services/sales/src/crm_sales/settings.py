"""Settings of the sales service: the kernel's, plus the sales team's own lists."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.domain.reasons import DEFAULT_RETURN_REASONS
from crm_kernel.settings import ServiceSettings
from crm_sales_contracts.events import (
    DISQUALIFICATION_REASON,
    LOST_REASON,
    ORDER_REASON,
    REJECTION_REASON,
)
from pydantic import Field, field_validator

from crm_sales.domain.account import DEFAULT_CREDIT_NOTE_REASONS, DEFAULT_REMINDER_DAYS
from crm_sales.domain.lead import DEFAULT_DISQUALIFICATION_REASONS
from crm_sales.domain.order import DEFAULT_CANCELLATION_REASONS
from crm_sales.domain.pipelines import DEFAULT_LOST_REASONS, DEFAULT_PIPELINE, Pipeline
from crm_sales.domain.quote import DEFAULT_REJECTION_REASONS


class SalesSettings(ServiceSettings):
    # Why a lead may be disqualified: `CRM_LEAD_DISQUALIFICATION_REASONS` as a JSON list,
    # e.g. '["too expensive", "no need", "other"]'. Requests name one in any letter case.
    lead_disqualification_reasons: tuple[Annotated[str, DISQUALIFICATION_REASON], ...] = Field(
        default=DEFAULT_DISQUALIFICATION_REASONS, min_length=1, max_length=100
    )
    # Why a deal may be lost: `CRM_OPPORTUNITY_LOST_REASONS`, a JSON list like the above.
    opportunity_lost_reasons: tuple[Annotated[str, LOST_REASON], ...] = Field(
        default=DEFAULT_LOST_REASONS, min_length=1, max_length=100
    )
    # Why a customer may turn a quote down: `CRM_QUOTE_REJECTION_REASONS`, a JSON list too.
    quote_rejection_reasons: tuple[Annotated[str, REJECTION_REASON], ...] = Field(
        default=DEFAULT_REJECTION_REASONS, min_length=1, max_length=100
    )
    # Why an order may be cancelled, and why a line may come back:
    # `CRM_ORDER_CANCELLATION_REASONS` and `CRM_RETURN_REASONS`, JSON lists too.
    order_cancellation_reasons: tuple[Annotated[str, ORDER_REASON], ...] = Field(
        default=DEFAULT_CANCELLATION_REASONS, min_length=1, max_length=100
    )
    return_reasons: tuple[Annotated[str, ORDER_REASON], ...] = Field(
        default=DEFAULT_RETURN_REASONS, min_length=1, max_length=100
    )
    # Why an invoice may be credited or refunded: `CRM_CREDIT_NOTE_REASONS`, a JSON list too.
    credit_note_reasons: tuple[Annotated[str, ORDER_REASON], ...] = Field(
        default=DEFAULT_CREDIT_NOTE_REASONS, min_length=1, max_length=100
    )
    # Whether orders are checked against customers' credit limits (ADR 41): each order then
    # reads its customer's account once more (two queries), which the live benchmark showed to
    # cost a third of the platform's headroom: `CRM_CREDIT_LIMITS=true` to keep limits.
    credit_limits: bool = False
    # Days past due at which the first, the second and the final payment reminder go out:
    # `CRM_PAYMENT_REMINDER_DAYS`, e.g. '[7, 21, 45]' (raised by the deadline scheduler).
    payment_reminder_days: tuple[
        Annotated[int, Field(ge=1, le=3_650)],
        Annotated[int, Field(ge=1, le=3_650)],
        Annotated[int, Field(ge=1, le=3_650)],
    ] = DEFAULT_REMINDER_DAYS
    # The business's pipelines: `CRM_SALES_PIPELINES`, a JSON list of
    # {"name": ..., "stages": [{"name": ..., "probability": 0-100, "forecast_category":
    # "pipeline" | "best_case" | "commit"}, ...]}; the one named "default" is used when an
    # opportunity names none (EspoCRM's stages unless given).
    sales_pipelines: tuple[Pipeline, ...] = Field(
        default=(DEFAULT_PIPELINE,), min_length=1, max_length=50
    )

    @field_validator("payment_reminder_days")
    @classmethod
    def _rising(cls, days: tuple[int, int, int]) -> tuple[int, int, int]:
        if not days[0] < days[1] < days[2]:
            raise ValueError("CRM_PAYMENT_REMINDER_DAYS: the first, second and final days rise")
        return days

    @field_validator("sales_pipelines")
    @classmethod
    def _one_default(cls, pipelines: tuple[Pipeline, ...]) -> tuple[Pipeline, ...]:
        names = [p.name.casefold() for p in pipelines]
        if len(set(names)) != len(names):
            raise ValueError("CRM_SALES_PIPELINES: pipeline names repeat")
        if "default" not in names:
            raise ValueError('CRM_SALES_PIPELINES: name one pipeline "default"')
        return pipelines
