"""Satisfaction surveys and product ratings: a resolution requests a survey (NPS where the
business asks), answered once; a product rating is recorded once; the 360 view shows the last
CSAT and NPS and the stars, never the comments or reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import DomainError, NotFoundError, RefusedError
from crm_kernel.domain.events import DomainEvent
from crm_projections.domain.customer_360 import empty, fold
from crm_support.domain.case import AnswerSurvey, Reopen, Resolve, case_decider
from crm_support.domain.product_rating import RateProduct, rating_decider
from crm_support_contracts.events import SurveyAnswered, SurveyRequested

from tests.unit.support.test_assign_case import OPENED

K = "s1"
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)


def run(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = [OPENED]
    for command in commands:
        events += case_decider.decide(case_decider.fold(events), command)
    return events


def answer(csat: int, nps: int | None = None, survey: int | None = None) -> AnswerSurvey:
    return AnswerSurvey(case_id=K, survey=survey, csat=csat, nps=nps, comment="Too slow")


def test_a_resolution_requests_a_survey_answered_once() -> None:
    events = run(Resolve(case_id=K, at=AT, nps=True))
    [requested] = [e for e in events if isinstance(e, SurveyRequested)]
    assert (requested.survey, requested.nps) == (1, True)
    events += case_decider.decide(case_decider.fold(events), answer(2, nps=6))
    assert isinstance(events[-1], SurveyAnswered) and events[-1].csat == 2
    assert case_decider.decide(case_decider.fold(events), answer(2, nps=6)) == []  # a retry
    with pytest.raises(RefusedError, match="survey 1 of case s1 was answered already"):
        case_decider.decide(case_decider.fold(events), answer(5, nps=10))


def test_nps_only_where_asked_and_no_answer_before_a_survey() -> None:
    with pytest.raises(NotFoundError, match="has no survey: resolve it first"):
        case_decider.decide(case_decider.fold([OPENED]), answer(3))
    events = run(Resolve(case_id=K, at=AT))
    with pytest.raises(DomainError, match="asks no NPS"):
        case_decider.decide(case_decider.fold(events), answer(3, nps=9))
    # Reopened and resolved again: a second survey, the latest by default.
    events = run(Resolve(case_id=K, at=AT), Reopen(case_id=K, at=AT), Resolve(case_id=K, at=AT))
    [made] = case_decider.decide(case_decider.fold(events), answer(4))
    assert isinstance(made, SurveyAnswered) and made.survey == 2


def test_a_product_rating_is_recorded_once() -> None:
    rate = RateProduct(rating_id="r1", customer_id="c1", product_sku="LAMP-40", stars=4,
                       review="Bright")  # fmt: skip
    given = rating_decider.decide(rating_decider.fold([]), rate)
    assert rating_decider.decide(rating_decider.fold(given), rate) == []
    with pytest.raises(RefusedError, match="recorded already"):
        rating_decider.decide(rating_decider.fold(given), rate.model_copy(update={"stars": 1}))


def test_the_360_view_shows_the_last_csat_and_nps_and_the_stars() -> None:
    events = run(Resolve(case_id=K, at=AT, nps=True))
    events += case_decider.decide(case_decider.fold(events), answer(2, nps=6))
    meta = Metadata(actor="t")
    stream = wrap(events, source="crm.support", stream_id=f"case-{K}", expected_version=0,
                  metadata=meta, now=AT)  # fmt: skip
    rated = rating_decider.decide(rating_decider.fold([]), RateProduct(
        rating_id="r1", customer_id=OPENED.customer_id, product_sku="LAMP-40", stars=5,
        review="Lovely"))  # fmt: skip
    stream += wrap(rated, source="crm.support", stream_id="rating-r1", expected_version=0,
                   metadata=meta, now=AT + timedelta(days=1))  # fmt: skip
    support = fold(empty(OPENED.customer_id), stream)["support"]
    assert support["last_csat"] == {"score": 2, "at": AT.isoformat(), "case_id": K}
    assert support["last_nps"]["score"] == 6
    assert support["product_ratings"] == [
        {"id": "r1", "product_sku": "LAMP-40", "stars": 5,
         "rated_at": (AT + timedelta(days=1)).isoformat()}
    ]  # fmt: skip
    assert "Lovely" not in str(support) and "Too slow" not in str(support)
