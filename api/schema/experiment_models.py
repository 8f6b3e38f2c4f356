"""Request and answer models of experiments and outcome analytics: they validate the bodies and
generate the OpenAPI schemas (cross-field checks — the weights' split, baseline × (1 + effect)
below 1 — are ``recommender.experiments.parse_experiment``'s)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from recommender.experiments import METRICS
from recommender.experiments.design import ANALYSES, MAX_VARIANTS, VARIANT_PATTERN
from recommender.rules import PLACEMENT_PATTERN

from .rule_models import Closed, PlacementSettings

Rate = Annotated[float, Field(ge=0.0001, le=0.9)]


class VariantIn(Closed):
    name: str = Field(pattern=VARIANT_PATTERN)
    weight: float = Field(1, gt=0, description="share of the traffic (weights are normalized to sum to 1)")
    settings: PlacementSettings = Field(default_factory=PlacementSettings, description="the placement settings "
                                        "this variant changes (only the fields given); {} = the placement as it is")


class ExperimentInput(Closed):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "description": "baseline_rate × (1 + minimum_effect) must stay below 1; the first variant is the control"})

    name: str = Field(min_length=1, max_length=200)
    placement: str = Field(pattern=PLACEMENT_PATTERN)
    variants: list[VariantIn] = Field(min_length=2, max_length=MAX_VARIANTS)
    metric: Literal[METRICS] = "click_rate"  # type: ignore[valid-type]
    baseline_rate: Rate = Field(0.05, description="the control's expected rate of the metric")
    minimum_effect: float = Field(0.10, ge=0.005, le=5.0, description="the relative uplift the experiment must "
                                                                      "detect; with baseline_rate, alpha and power "
                                                                      "it sets the sample size")
    alpha: float = Field(0.05, ge=0.001, le=0.2)
    power: float = Field(0.8, ge=0.5, le=0.99)
    analysis: Literal[ANALYSES] = Field(  # type: ignore[valid-type]
        "fixed_horizon", description="fixed_horizon: read once at the sample size; sequential: the decision "
                                     "metric is tested with the mSPRT, valid at any time, so it may stop early")

    def design(self) -> dict:
        """The body as ``parse_experiment`` reads it: only the settings each variant names."""
        body = self.model_dump(exclude={"variants"})
        body["variants"] = [{"name": v.name, "weight": v.weight, "settings": v.settings.model_dump(exclude_unset=True)}
                            for v in self.variants]
        return body


class StopRequest(Closed):
    promote: str | None = Field(None, pattern=VARIANT_PATTERN, description="the variant whose settings become the "
                                "placement's own; null: keep the placement as it was")
    force: bool = Field(False, description="stop before every variant reached the sample size")


class VariantOut(BaseModel):
    name: str
    weight: float
    settings: dict


class Experiment(BaseModel):
    id: int
    name: str
    placement: str
    variants: list[VariantOut]
    metric: str
    baseline_rate: float
    minimum_effect: float
    alpha: float
    power: float
    sample_size: int = Field(description="visitors each variant needs before the results are read")
    analysis: Literal[ANALYSES]  # type: ignore[valid-type]
    status: Literal["draft", "running", "stopped"]
    salt: str
    created_at: str
    started_at: float | None
    stopped_at: float | None
    winner: str | None
    stop_note: dict | None


class ExperimentDetail(Experiment):
    exposures: dict[str, int] = Field(description="visitors exposed so far, per variant")


class ExperimentList(BaseModel):
    experiments: list[Experiment]


class Estimate(BaseModel):
    value: float | None
    low: float | None = Field(description="95 % interval")
    high: float | None


class Comparison(BaseModel):
    uplift: float | None = Field(description="relative to the control")
    low: float | None
    high: float | None
    p_value: float | None = Field(description="withheld (null) until the horizon, but for a sequential "
                                              "experiment's decision metric (always valid); Holm-adjusted for the "
                                              "decision metric when there are several treatments")


class VariantResult(BaseModel):
    name: str
    weight: float
    visitors: int
    metrics: dict[str, Estimate] = Field(description="click_rate, conversion_rate, ctr, revenue_per_visitor")
    versus_control: dict[str, Comparison] | None


class Results(BaseModel):
    variants: list[VariantResult]
    metric: str
    sample_size: int
    horizon_reached: bool
    analysis: Literal[ANALYSES]  # type: ignore[valid-type]
    decision: Literal["collecting", "significant", "not_significant"]
    winner: str | None
    sample_ratio_p: float | None
    sample_ratio_mismatch: bool = Field(description="visitors per variant off the split (chi-square p < 0.001)")


class ExperimentResults(BaseModel):
    experiment: Experiment
    results: Results | None = Field(description="null for a draft")


class SampleSize(BaseModel):
    baseline_rate: float
    minimum_effect: float
    alpha: float
    power: float
    variants: int
    visitors_per_variant: int
    visitors_total: int
    days: float | None
    metrics: list[str]


class PlacementFigures(BaseModel):
    impressions: int
    clicks: int
    ctr: float | None = Field(description="clicks / impressions; null without impressions")
    add_to_carts: int = Field(description="attributed to a click (last click within the window)")
    orders: int = Field(description="distinct attributed order ids")
    revenue: float = Field(description="price × quantity of the attributed purchases")
    revenue_per_1000_impressions: float | None


class PlacementDay(PlacementFigures):
    day: str


class PlacementPerformance(PlacementFigures):
    placement: str
    days: list[PlacementDay]


class Attribution(BaseModel):
    model: Literal["last_click"]
    window_hours: float


class PlacementReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    attribution: Attribution
    placements: list[PlacementPerformance]


MODELS = (ExperimentInput, StopRequest, ExperimentDetail, ExperimentList, ExperimentResults, SampleSize,
          PlacementReport)
