"""Satisfaction surveys and product ratings: answers over HTTP and from the survey tool's ingest
topic (`crm.support.surveys.ingest`, refusals to `crm.support.surveys.rejected`), once per
survey; product ratings over HTTP. Comments and reviews are free text: personal data, sealed
per customer, and never in a rejected copy."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.adapters.kafka_ingest import FromSender, IngestConsumer, IngestTopic
from crm_kernel.adapters.kafka_ingest import subscribe_ingest as subscribe
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody, Text
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from crm_support_contracts.events import SKU, Csat, Nps, Stars
from fastapi import APIRouter, Depends
from faststream.kafka import KafkaBroker
from pydantic import ConfigDict, Field

from crm_support.domain import case, product_rating
from crm_support.domain.case import AnswerSurvey, Case, CaseCommand, case_decider
from crm_support.domain.product_rating import RateProduct, Rating, rating_decider

router = APIRouter(responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("support:write"))]
Cases = Annotated[CommandHandler[Case, CaseCommand], Depends(handler_of(case_decider))]
Ratings = Annotated[CommandHandler[Rating, RateProduct], Depends(handler_of(rating_decider))]
Comment = Annotated[Text, Field(min_length=1, max_length=5_000)]


class AnswerFields(RequestBody):
    survey: int | None = Field(
        default=None, ge=1, le=10_000, description="Which resolution's survey (none: the latest)"
    )
    csat: Csat = Field(description="1 very unhappy ... 5 very happy")
    nps: Nps | None = Field(default=None, description="0-10, where the survey asked it")
    comment: Comment | None = None
    occurred_at: OccurredAt | None = Field(default=None, description="When it was answered")


def _answer(case_id: str, fields: AnswerFields) -> AnswerSurvey:
    return AnswerSurvey(
        case_id=case_id, survey=fields.survey, csat=fields.csat, nps=fields.nps,
        comment=fields.comment,
    )  # fmt: skip


@router.post(
    "/cases/{case_id}/survey-answers",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
    tags=["cases"],
)
async def answer_survey(
    case_id: UUID, body: AnswerFields, metadata: Write, cases: Cases
) -> CommandAccepted:
    """The customer's answer, once per survey (409 for another answer to the same survey)."""
    command = _answer(str(case_id), body)
    happened = metadata.happened_at(body.occurred_at)
    return await accept(cases, case.stream_of(command.case_id), command, happened, CommandAccepted)


class RatingRequest(RequestBody):
    rating_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    product_sku: Annotated[Line, SKU]
    stars: Stars = Field(description="1-5")
    review: Comment | None = None
    occurred_at: OccurredAt | None = Field(default=None, description="When it was given")


class RatingResponse(CommandAccepted):
    rating_id: UUID


@router.post("/product-ratings", status_code=201, response_model=RatingResponse, tags=["ratings"])
async def rate_product(body: RatingRequest, metadata: Write, ratings: Ratings) -> RatingResponse:
    command = RateProduct.model_validate(body.model_dump(mode="json", exclude={"occurred_at"}))
    return await accept(
        ratings, product_rating.stream_of(command.rating_id), command,
        metadata.happened_at(body.occurred_at), RatingResponse, rating_id=body.rating_id,
    )  # fmt: skip


TOPICS = IngestTopic(
    topic="crm.support.surveys.ingest",
    rejected="crm.support.surveys.rejected",
    group="crm-support-surveys-ingest",
)


class IngestedAnswer(AnswerFields, FromSender):
    """One message on the ingest topic: the survey tool's answer, naming its case."""

    model_config = ConfigDict(extra="ignore")

    case_id: UUID


def subscribe_survey_ingest(
    broker: KafkaBroker, cases: CommandHandler[Case, CaseCommand], stall_after_s: float
) -> IngestConsumer:
    async def take(fields: IngestedAnswer, metadata: Metadata) -> object:
        command = _answer(str(fields.case_id), fields)
        return await cases.handle(case.stream_of(command.case_id), command, metadata)

    return subscribe(
        broker,
        TOPICS,
        IngestedAnswer,
        take,
        what="survey answer",
        not_personal=("source", "case_id", "survey", "csat", "nps", "occurred_at"),
        stall_after_s=stall_after_s,
        description="Survey answers from the survey tool, as JSON (schema IngestedAnswer)",
    )
