"""Given events / when command / then events, for the campaigns response decider: each rule
of its decision, and what `evolve` makes of each event."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_campaigns.domain.response import RecordResponse, Responses, response_decider
from crm_campaigns_contracts.events import CampaignResponseRecorded, Channel, ResponseKind
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.events import DomainEvent


def then(decider: Decider, given: list[DomainEvent], command: object) -> list[DomainEvent]:
    return decider.decide(decider.fold(given), command)


RESPONSE = RecordResponse(
    campaign_id="k1",
    customer_id="c1",
    response=ResponseKind.CLICKED,
    channel=Channel.EMAIL,
    responded_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
)


# --- moved from tests/unit/test_deciders.py, assertions unchanged ---------------------------


def test_a_campaign_response_is_recorded_once() -> None:
    given = then(response_decider, [], RESPONSE)
    assert [type(e) for e in given] == [CampaignResponseRecorded]
    assert then(response_decider, given, RESPONSE) == []


def test_a_later_response_of_the_same_kind_is_a_new_fact() -> None:
    given = then(response_decider, [], RESPONSE)
    later = RESPONSE.model_copy(update={"responded_at": datetime(2026, 1, 6, tzinfo=UTC)})
    assert len(then(response_decider, given, later)) == 1


# --- decide ---------------------------------------------------------------------------------

RECORDED = CampaignResponseRecorded(
    campaign_id="k1",
    customer_id="c1",
    response=ResponseKind.CLICKED,
    channel=Channel.EMAIL,
    responded_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
)


def test_a_first_response_records_every_fact_of_the_command() -> None:
    assert then(response_decider, [], RESPONSE) == [RECORDED]


def test_another_kind_of_response_at_the_same_instant_is_a_new_fact() -> None:
    converted = RESPONSE.model_copy(update={"response": ResponseKind.CONVERTED})
    assert then(response_decider, [RECORDED], converted) == [
        RECORDED.model_copy(update={"response": ResponseKind.CONVERTED})
    ]


def test_the_same_response_reported_again_on_another_channel_records_nothing() -> None:
    """A response is told apart by its kind and instant: the channel does not make it new."""
    again = RESPONSE.model_copy(update={"channel": Channel.SMS})
    assert then(response_decider, [RECORDED], again) == []


def test_a_response_seen_before_later_ones_is_still_known() -> None:
    later = RECORDED.model_copy(update={"responded_at": datetime(2026, 1, 6, tzinfo=UTC)})
    unsubscribed = RECORDED.model_copy(update={"response": ResponseKind.UNSUBSCRIBED})
    assert then(response_decider, [RECORDED, later, unsubscribed], RESPONSE) == []


# --- evolve ---------------------------------------------------------------------------------


class Unrelated(DomainEvent):
    """An event the responses do not know (no type name: not registered)."""


def test_no_response_is_seen_at_first() -> None:
    assert response_decider.fold([]) == Responses(seen=frozenset())


def test_a_recorded_response_is_seen_by_its_kind_and_instant() -> None:
    later = RECORDED.model_copy(update={"responded_at": datetime(2026, 1, 6, tzinfo=UTC)})
    assert response_decider.fold([RECORDED, later, RECORDED]) == Responses(
        seen=frozenset(
            {
                (ResponseKind.CLICKED, datetime(2026, 1, 5, 10, tzinfo=UTC)),
                (ResponseKind.CLICKED, datetime(2026, 1, 6, tzinfo=UTC)),
            }
        )
    )


def test_an_event_the_responses_do_not_know_leaves_the_state_as_it_was() -> None:
    before = response_decider.fold([RECORDED])
    assert response_decider.evolve(before, Unrelated()) == before
    assert response_decider.fold([Unrelated()]) == Responses()
