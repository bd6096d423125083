"""Given events / when command / then events (or a refusal), for the opportunity decider:
every command, every refusal, and the three layers that price a deal (ADR 30)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent, personal_fields
from crm_sales.domain.opportunity import (
    ChangeAmount,
    ChangeExpectedClose,
    Lose,
    MoveToStage,
    OpenOpportunity,
    OverrideProbability,
    Reassign,
    Reopen,
    SetForecastCategory,
    Status,
    Win,
    opportunity_decider,
)
from crm_sales.domain.pipelines import DEFAULT_LOST_REASONS, DEFAULT_PIPELINE, Pipeline, Stage
from crm_sales.settings import SalesSettings
from crm_sales_contracts.events import (
    ForecastCategory,
    LeadChannel,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityForecastCategorySet,
    OpportunityLost,
    OpportunityOpened,
    OpportunityProbabilityOverridden,
    OpportunityReassigned,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
)
from pydantic import ValidationError

DEAL, CUSTOMER = "d1", "c1"
PIPELINES = (DEFAULT_PIPELINE,)
F = ForecastCategory


def then(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return opportunity_decider.decide(opportunity_decider.fold(given), command)


OPEN = OpenOpportunity(
    opportunity_id=DEAL,
    customer_id=CUSTOMER,
    name="40 desk lamps",
    owner="marta",
    team="iberia",
    amount=Decimal("2400.00"),
    currency="EUR",
    expected_close=date(2026, 3, 31),
    products=("LAMP-40",),
    source=LeadChannel.TRADE_FAIR,
    pipelines=PIPELINES,
)
OPENED = OpportunityOpened(
    opportunity_id=DEAL,
    customer_id=CUSTOMER,
    name="40 desk lamps",
    owner="marta",
    team="iberia",
    amount=Decimal("2400.00"),
    currency="EUR",
    expected_close=date(2026, 3, 31),
    products=("LAMP-40",),
    pipeline="default",
    stage="prospecting",
    stage_probability=10,
    stage_category=F.PIPELINE,
    probability=10,
    forecast_category=F.PIPELINE,
    source=LeadChannel.TRADE_FAIR,
)
IDS = {"opportunity_id": DEAL, "customer_id": CUSTOMER}


def moved(stage: str, probability: int, category: ForecastCategory, **over: Any) -> Any:
    return OpportunityStageChanged(
        **IDS,
        stage=stage,
        stage_probability=probability,
        stage_category=category,
        probability=over.get("priced", probability),
        forecast_category=over.get("forecast", category),
    )


def to(stage: str) -> MoveToStage:
    return MoveToStage(opportunity_id=DEAL, stage=stage, pipelines=PIPELINES)


def lose(reason: str = "too expensive", note: str | None = None) -> Lose:
    return Lose(opportunity_id=DEAL, reason=reason, note=note, reasons=DEFAULT_LOST_REASONS)


WON = OpportunityWon(**IDS, amount=Decimal("2400.00"), currency="EUR")
LOST = OpportunityLost(**IDS, reason="too expensive")


# --- open -----------------------------------------------------------------------------------


def test_a_deal_opens_at_the_first_stage_priced_by_its_defaults() -> None:
    assert then([], OPEN) == [OPENED]


def test_a_deal_may_open_at_a_stage_with_the_reps_probability_and_category() -> None:
    command = OPEN.model_copy(
        update={"stage": "Proposal", "probability": 65, "forecast_category": F.COMMIT}
    )
    [opened] = then([], command)
    assert isinstance(opened, OpportunityOpened)
    assert (opened.stage, opened.stage_probability, opened.stage_category) == (
        "proposal",
        50,
        F.BEST_CASE,
    )
    assert (opened.probability, opened.probability_override) == (65, 65)
    assert (opened.forecast_category, opened.category_override) == (F.COMMIT, True)


def test_the_same_opening_again_records_nothing_another_is_refused() -> None:
    assert then([OPENED], OPEN) == []
    with pytest.raises(ConflictError, match="opened already"):
        then([OPENED], OPEN.model_copy(update={"amount": Decimal(1)}))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pipeline": "enterprise"}, "pipeline", "no pipeline enterprise: one of default"),
        ({"stage": "closing"}, "stage", "has no stage closing: one of prospecting"),
        ({"stage": "won"}, "stage", "won is no stage: win the deal with POST"),
        ({"stage": "Lost"}, "stage", "lose it with POST .../lost and a reason"),
        ({"name": "  "}, "name", "name must not be blank"),
    ],
)
def test_bad_openings_are_refused_naming_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message) as refused:
        then([], OPEN.model_copy(update=changes))
    assert refused.value.field == field and refused.value.status_code == 422


@pytest.mark.parametrize(
    "values",
    [
        {"probability": 101},
        {"probability": -1},
        {"probability": True},
        {"amount": Decimal("-1")},
        {"amount": Decimal("0.001")},
        {"currency": "eur"},
    ],
)
def test_the_command_holds_the_contracts_bounds(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OpenOpportunity(**OPEN.model_dump() | values)


def test_only_the_name_and_the_lost_note_are_personal() -> None:
    assert personal_fields(OpportunityOpened) == ("name",)
    assert personal_fields(OpportunityLost) == ("note",)


# --- stages and the three layers of probability ---------------------------------------------


def test_a_stage_change_carries_the_values_after_it() -> None:
    assert then([OPENED], to("negotiation")) == [moved("negotiation", 80, F.COMMIT)]
    assert then([OPENED], to("PROSPECTING")) == []  # there already


def test_the_reps_probability_and_category_outlive_stage_changes_until_cleared() -> None:
    history: list[DomainEvent] = [OPENED]
    history += then(history, OverrideProbability(opportunity_id=DEAL, probability=35))
    assert history[-1] == OpportunityProbabilityOverridden(**IDS, override=35, probability=35)
    history += then(history, SetForecastCategory(opportunity_id=DEAL, forecast_category=F.COMMIT))
    assert history[-1] == OpportunityForecastCategorySet(
        **IDS, forecast_category=F.COMMIT, overridden=True
    )
    history += then(history, to("proposal"))
    assert history[-1] == moved("proposal", 50, F.BEST_CASE, priced=35, forecast=F.COMMIT)
    history += then(history, OverrideProbability(opportunity_id=DEAL, probability=None))
    assert history[-1] == OpportunityProbabilityOverridden(**IDS, override=None, probability=50)
    history += then(history, SetForecastCategory(opportunity_id=DEAL, forecast_category=None))
    assert history[-1] == OpportunityForecastCategorySet(
        **IDS, forecast_category=F.BEST_CASE, overridden=False
    )
    assert then(history, OverrideProbability(opportunity_id=DEAL, probability=None)) == []


def test_amount_close_date_and_owner_changes_carry_the_values_after_them() -> None:
    amount = ChangeAmount(opportunity_id=DEAL, amount=Decimal("3000.00"), currency="USD")
    assert then([OPENED], amount) == [
        OpportunityAmountChanged(**IDS, amount=Decimal("3000.00"), currency="USD")
    ]
    same = ChangeAmount(opportunity_id=DEAL, amount=Decimal("2400"), currency="EUR")
    assert then([OPENED], same) == []
    slip = ChangeExpectedClose(opportunity_id=DEAL, expected_close=date(2026, 4, 30))
    assert then([OPENED], slip) == [
        OpportunityCloseDateChanged(**IDS, expected_close=date(2026, 4, 30))
    ]
    assert then([OPENED], Reassign(opportunity_id=DEAL, owner="luis")) == [
        OpportunityReassigned(**IDS, owner="luis")
    ]
    assert then([OPENED], Reassign(opportunity_id=DEAL, owner="marta", team="iberia")) == []


# --- won, lost, reopened --------------------------------------------------------------------


def test_a_won_deal_books_its_amount_and_a_repeat_records_nothing() -> None:
    amount = OpportunityAmountChanged(**IDS, amount=Decimal("2600.00"), currency="EUR")
    assert then([OPENED, amount], Win(opportunity_id=DEAL)) == [
        OpportunityWon(**IDS, amount=Decimal("2600.00"), currency="EUR")
    ]
    assert then([OPENED, WON], Win(opportunity_id=DEAL)) == []


def test_a_lost_deal_needs_a_listed_reason() -> None:
    assert then([OPENED], lose("TOO EXPENSIVE", " Chose a cheaper supplier ")) == [
        OpportunityLost(**IDS, reason="too expensive", note="Chose a cheaper supplier")
    ]
    with pytest.raises(DomainError, match="a lost deal needs a reason, one of: too expensive"):
        then([OPENED], lose("bad vibes"))
    with pytest.raises(ValidationError):
        Lose(opportunity_id=DEAL, reason="", reasons=DEFAULT_LOST_REASONS)
    assert then([OPENED, LOST], lose()) == []
    with pytest.raises(ConflictError, match="is lost: won and lost are terminal"):
        then([OPENED, LOST], lose("no budget"))


@pytest.mark.parametrize("closed", [WON, LOST], ids=["won", "lost"])
@pytest.mark.parametrize(
    "command",
    [
        to("negotiation"),
        ChangeAmount(opportunity_id=DEAL, amount=Decimal(1), currency="EUR"),
        ChangeExpectedClose(opportunity_id=DEAL, expected_close=date(2027, 1, 1)),
        OverrideProbability(opportunity_id=DEAL, probability=90),
        SetForecastCategory(opportunity_id=DEAL, forecast_category=F.COMMIT),
        Reassign(opportunity_id=DEAL, owner="luis"),
    ],
    ids=lambda c: type(c).__name__,
)
def test_won_and_lost_are_terminal_until_reopened(closed: DomainEvent, command: Any) -> None:
    with pytest.raises(ConflictError, match="won and lost are terminal \\(reopen it first\\)"):
        then([OPENED, closed], command)


def test_won_then_lost_or_lost_then_won_is_refused() -> None:
    with pytest.raises(ConflictError, match="is won"):
        then([OPENED, WON], lose())
    with pytest.raises(ConflictError, match="is lost"):
        then([OPENED, LOST], Win(opportunity_id=DEAL))


def test_a_reopened_deal_is_open_at_the_stage_it_closed_at_or_the_one_named() -> None:
    history = [OPENED, moved("proposal", 50, F.BEST_CASE), LOST]
    reopen = Reopen(opportunity_id=DEAL, pipelines=PIPELINES)
    assert then(history, reopen) == [
        OpportunityReopened(
            **IDS,
            stage="proposal",
            stage_probability=50,
            stage_category=F.BEST_CASE,
            probability=50,
            forecast_category=F.BEST_CASE,
        )
    ]
    [reopened] = then(history, reopen.model_copy(update={"stage": "negotiation"}))
    after = opportunity_decider.fold([*history, reopened])
    assert (after.status, after.reason, after.stage and after.stage.name) == (
        Status.OPEN,
        None,
        "negotiation",
    )
    with pytest.raises(ConflictError, match="is open: only a won or lost deal is reopened"):
        then([OPENED], reopen)


@pytest.mark.parametrize(
    "command",
    [
        to("proposal"),
        Win(opportunity_id=DEAL),
        lose(),
        Reopen(opportunity_id=DEAL, pipelines=PIPELINES),
        Reassign(opportunity_id=DEAL, owner="luis"),
    ],
    ids=lambda c: type(c).__name__,
)
def test_a_deal_never_opened_is_not_found(command: Any) -> None:
    with pytest.raises(NotFoundError, match="no opportunity d1: open it first"):
        then([], command)


# --- pipelines ------------------------------------------------------------------------------


def test_a_business_defines_its_own_pipelines() -> None:
    mine = Pipeline(
        name="enterprise",
        stages=(
            Stage(name="discovery", probability=5, forecast_category=F.PIPELINE),
            Stage(name="contract sent", probability=90, forecast_category=F.COMMIT),
        ),
    )
    command = OPEN.model_copy(update={"pipeline": "Enterprise", "pipelines": (*PIPELINES, mine)})
    [opened] = then([], command)
    assert isinstance(opened, OpportunityOpened)
    assert (opened.pipeline, opened.stage, opened.probability) == ("enterprise", "discovery", 5)


@pytest.mark.parametrize(
    "stages",
    [
        [{"name": "won", "probability": 100, "forecast_category": "closed"}],
        [{"name": "a", "probability": 1, "forecast_category": "omitted"}],
        [
            {"name": "a", "probability": 1, "forecast_category": "pipeline"},
            {"name": "a", "probability": 2, "forecast_category": "pipeline"},
        ],
        [],
    ],
)
def test_a_pipeline_lists_distinct_open_stages(stages: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        Pipeline.model_validate({"name": "p", "stages": stages})


def test_the_settings_need_a_default_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CRM_SALES_PIPELINES",
        '[{"name": "smb", "stages": [{"name": "a", "probability": 5, '
        '"forecast_category": "pipeline"}]}]',
    )
    with pytest.raises(ValidationError, match='name one pipeline "default"'):
        SalesSettings()
