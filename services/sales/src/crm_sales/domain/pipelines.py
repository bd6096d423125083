"""Sales pipelines: the open stages an opportunity goes through, each with the probability and
forecast category it defaults to. Won (100, closed) and lost (0, omitted) end every pipeline;
they are reached by their own commands, not as stages (ADR 30)."""

from __future__ import annotations

from crm_sales_contracts.events import ForecastCategory, Probability, StageName
from pydantic import BaseModel, ConfigDict, Field, model_validator

WON_PROBABILITY, LOST_PROBABILITY = 100, 0


class Stage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: StageName
    probability: Probability
    forecast_category: ForecastCategory


class Pipeline(BaseModel):
    """A business's pipeline, e.g. one per team; stages in their order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: StageName
    stages: tuple[Stage, ...] = Field(min_length=1, max_length=30)
    # Whether the learned probability prices its deals instead of the stage's (a rep's
    # override still comes first; ADR 30).
    learned_probability: bool = False

    @model_validator(mode="after")
    def _open_stages_only(self) -> Pipeline:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"pipeline {self.name}: stage names repeat")
        if {"won", "lost"} & set(names) or any(
            s.forecast_category in (ForecastCategory.CLOSED, ForecastCategory.OMITTED)
            for s in self.stages
        ):
            raise ValueError(
                f"pipeline {self.name}: won and lost end every pipeline; list open stages only"
            )
        return self

    def stage(self, name: str) -> Stage | None:
        wanted = name.strip().casefold()
        return next((s for s in self.stages if s.name.casefold() == wanted), None)


# EspoCRM's stages and probabilities; forecast categories as Salesforce defaults them.
DEFAULT_PIPELINE = Pipeline(
    name="default",
    stages=(
        Stage(name="prospecting", probability=10, forecast_category=ForecastCategory.PIPELINE),
        Stage(name="qualification", probability=20, forecast_category=ForecastCategory.PIPELINE),
        Stage(name="proposal", probability=50, forecast_category=ForecastCategory.BEST_CASE),
        Stage(name="negotiation", probability=80, forecast_category=ForecastCategory.COMMIT),
    ),
)
# Odoo's seeded lost reasons and what sales teams use; a business sets its own
# (CRM_OPPORTUNITY_LOST_REASONS).
DEFAULT_LOST_REASONS = (
    "too expensive",
    "no budget",
    "went with a competitor",
    "no decision",
    "not enough stock",
    "we don't have people/skills",
    "other",
)
