"""The methodology's parameters as typed, validated models: one model per section of params/methodology.yaml.

Every key is required (the YAML is the one source of every default: the package holds no copy), an unknown key
is an error, every value has its type and range. Values that follow from others are derived here, never
written twice (``public.min_band_n`` from ``reporting.min_published_n``, ``public.band_strong`` from
``bands.mean_well_cut_z``, ``public.band_z`` from ``uncertainty.level``). Validation messages are Chinese
(``tqa.params.loading`` adds the file, the YAML path and the line).

Models are frozen; field order follows the YAML (the reports' appendix lists the parameters in that order).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from tqa.core import vocabulary as vocab

# A number as written in the YAML (30 stays 30, 0.5 stays 0.5: the appendix prints what the analyst wrote).
Number = StrictInt | StrictFloat
Share = Annotated[Number, Field(ge=0, le=1)]  # a share or rate, 0..1
OpenShare = Annotated[Number, Field(gt=0, lt=1)]  # strictly between 0 and 1
Positive = Annotated[Number, Field(gt=0)]
Count = Annotated[StrictInt, Field(ge=0)]
PositiveCount = Annotated[StrictInt, Field(ge=1)]
Grade = Annotated[StrictInt, Field(ge=min(vocab.GRADES), le=max(vocab.GRADES))]
Text = Annotated[StrictStr, Field(min_length=1)]
Colour = Literal["Blue", "Green", "Yellow", "Orange", "Red"]
RateMetric = Literal["mean", "pass_rate", "excellent_rate", "low_rate"]
Component = Literal["mean_share", "mean_z", "ratio_to_mean", "pass_rate", "excellent_rate", "low_rate"]


def derived_message(section: str, key: str, source: tuple[str, str]) -> str:
    src = ".".join(source)
    return f"这个值由 {src} 推出，不单独设定：请删除这个键（需要改变时修改 {src}）"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RateLines(Section):
    """Pass / excellent at or above, low below: shares of full marks."""

    pass_: Share = Field(alias="pass")
    excellent: Share
    low: Share

    model_config = ConfigDict(populate_by_name=True)


class Rule(Section):
    """Where an override applies: a grade band, a grade, a subject (each optional; none = everywhere)."""

    band: Text | None = None
    grade: Grade | None = None
    subject: Text | None = None


class RateOverride(Rule):
    pass_: Share | None = Field(None, alias="pass")
    excellent: Share | None = None
    low: Share | None = None

    model_config = ConfigDict(populate_by_name=True)


class Rates(Section):
    default: RateLines
    overrides: list[RateOverride]


class Levels(Section):
    pass_: list[Literal[vocab.LEVELS]] = Field(alias="pass")  # type: ignore[valid-type]
    excellent: list[Literal[vocab.LEVELS]]  # type: ignore[valid-type]
    low: list[Literal[vocab.LEVELS]]  # type: ignore[valid-type]

    model_config = ConfigDict(populate_by_name=True)


class Participation(Section):
    exclude_exempt_from_enrolled: StrictBool
    warn_below: Share


class Ranking(Section):
    rank_by: RateMetric
    tie_method: Literal["min", "max", "average", "first", "dense"]


class Checks(Section):
    tested_over_enrolled_tolerance: Count
    unlisted_subject_min_students: PositiveCount


class Reporting(Section):
    min_published_n: PositiveCount
    min_rank_n: PositiveCount

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_rank_n < self.min_published_n:
            raise ValueError(
                f"min_rank_n（{self.min_rank_n}）不能小于 min_published_n（{self.min_published_n}）：排名的人数下限不低于公布的下限"
            )
        return self


class District(Section):
    name: Text


class Uncertainty(Section):
    level: OpenShare
    rank_draws: Annotated[StrictInt, Field(ge=100)]
    rank_seed: Count


class Bands(Section):
    mean_well_cut_z: Positive
    rate_well_cut: OpenShare


class Equity(Section):
    cv_threshold: Positive
    cv_weighted: StrictBool


class ValueAdded(Section):
    min_match_rate: Share
    well_cut_z: Positive
    fit_methods: list[Literal["default", "powell", "nm", "bfgs", "lbfgs", "cg"]]
    standardise: StrictBool


class EbelBand(Section):
    min: Share | None
    label: Text


class Items(Section):
    group_share: Annotated[Number, Field(gt=0, le=0.5)]
    min_students: Annotated[StrictInt, Field(ge=2)]
    low_discrimination: Number
    too_hard: Share
    too_easy: Share
    alpha_floor: Share
    ebel_bands: Annotated[list[EbelBand], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self):
        if self.too_hard >= self.too_easy:
            raise ValueError(f"too_hard（{self.too_hard}）应小于 too_easy（{self.too_easy}）")
        mins = [b.min for b in self.ebel_bands]
        if mins[-1] is not None or any(m is None for m in mins[:-1]):
            raise ValueError("ebel_bands：只有最后一档的 min 为 null（其余各档写下限）")
        if mins[:-1] != sorted(mins[:-1], reverse=True):
            raise ValueError("ebel_bands：各档的下限应从高到低排列")
        return self


class Public(Section):
    marker: Text
    # Derived (not written in the YAML): the same numbers as reporting.min_published_n (one small-cohort rule
    # in both editions: a shown figure is banded by its interval) and bands.mean_well_cut_z.
    min_band_n: PositiveCount = Field(json_schema_extra={"derived_from": ("reporting", "min_published_n")})
    band_strong: Positive = Field(json_schema_extra={"derived_from": ("bands", "mean_well_cut_z")})
    drop_columns: list[Text]


class Weighting(Section):
    name: Text
    weights: dict[Component, Number]


class Composite(Section):
    scale: Positive
    # A weighting is one whole: a term file that writes weights replaces them (other mappings merge key by key).
    weights: Annotated[dict[Component, Number], Field(min_length=1, json_schema_extra={"replace": True})]
    alternatives: list[Weighting]


class ScoreBands(Section):
    edges: Annotated[list[Share], Field(min_length=2)]

    @model_validator(mode="after")
    def _edges(self):
        e = self.edges
        if e[0] != 0 or e[-1] != 1 or any(b <= a for a, b in zip(e, e[1:])):
            raise ValueError("edges 应从 0 开始、到 1 结束，且严格递增")
        return self


class Tiers(Section):
    top: Share
    struggling_below: Share

    @model_validator(mode="after")
    def _ordered(self):
        if self.struggling_below > self.top:
            raise ValueError(f"struggling_below（{self.struggling_below}）不能高于 top（{self.top}）")
        return self


class Borderline(Section):
    margin: OpenShare


class TargetValues(Section):
    pass_rate: Share | None = None
    excellent_rate: Share | None = None
    low_rate_max: Share | None = None


class TargetOverride(Rule):
    pass_rate: Share | None = None
    excellent_rate: Share | None = None
    low_rate_max: Share | None = None


class Targets(Section):
    default: TargetValues
    overrides: list[TargetOverride]


class Findings(Section):
    top_n: PositiveCount
    attention_max: PositiveCount
    serious_warnings: PositiveCount


class Change(Section):
    metric: Literal["pass_rate", "excellent_rate"]
    status_cuts: dict[Text, Annotated[list[Share], Field(min_length=4, max_length=4)]]
    significant: Positive
    changed: Positive
    grid: Annotated[list[Annotated[list[Colour], Field(min_length=5, max_length=5)]], Field(min_length=5, max_length=5)]

    @model_validator(mode="after")
    def _consistent(self):
        if "default" not in self.status_cuts:
            raise ValueError("status_cuts 必须有 default（没有单独设定的学段使用它）")
        for band, cuts in self.status_cuts.items():
            if cuts != sorted(cuts, reverse=True):
                raise ValueError(f"status_cuts.{band}：四个界值应从高到低排列")
        if self.changed > self.significant:
            raise ValueError(f"changed（{self.changed}）不能大于 significant（{self.significant}）")
        return self


class Funnel(Section):
    levels: Annotated[list[OpenShare], Field(min_length=2, max_length=2)]
    grid_points: Annotated[StrictInt, Field(ge=2)]

    @model_validator(mode="after")
    def _ordered(self):
        if self.levels[0] >= self.levels[1]:
            raise ValueError("levels：先写内控制限（如 0.95），再写外控制限（如 0.998）")
        return self


class Params(Section):
    """Every section of params/methodology.yaml (with the term's overrides merged over it), validated."""

    grade_bands: Annotated[dict[Text, Annotated[list[Grade], Field(min_length=1)]], Field(min_length=1)]
    rates: Rates
    levels: Levels
    participation: Participation
    ranking: Ranking
    checks: Checks
    reporting: Reporting
    district: District
    uncertainty: Uncertainty
    bands: Bands
    equity: Equity
    valueadded: ValueAdded
    items: Items
    public: Public
    composite: Composite
    score_bands: ScoreBands
    tiers: Tiers
    borderline: Borderline
    targets: Targets
    change: Change
    findings: Findings
    funnel: Funnel

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        """Fill the derived fields from the values they follow (written in the YAML, they are refused)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section, model in cls.model_fields.items():
            sub = model.annotation
            if not (isinstance(sub, type) and issubclass(sub, BaseModel)) or not isinstance(data.get(section), dict):
                continue
            block = None
            for key, f in sub.model_fields.items():
                source = (
                    (f.json_schema_extra or {}).get("derived_from") if isinstance(f.json_schema_extra, dict) else None
                )
                if not source:
                    continue
                if key in data[section]:
                    raise ValueError(f"{section}.{key}：{derived_message(section, key, source)}")
                value = (data.get(source[0]) or {}).get(source[1]) if isinstance(data.get(source[0]), dict) else None
                if value is None:
                    continue  # the source's own error is reported
                block = block if block is not None else dict(data[section])
                block[key] = value
            if block is not None:
                # keep the model's field order (the appendix lists fields in that order)
                data[section] = {k: block[k] for k in sub.model_fields if k in block} | {
                    k: v for k, v in block.items() if k not in sub.model_fields
                }
        return data

    @model_validator(mode="after")
    def _bands_known(self):
        known = set(self.grade_bands)
        seen: dict[int, str] = {}
        for band, grades in self.grade_bands.items():
            for g in grades:
                if g in seen:
                    raise ValueError(f"grade_bands：{g} 年级同时属于“{seen[g]}”和“{band}”")
                seen[g] = band
        for where, rules in (("rates.overrides", self.rates.overrides), ("targets.overrides", self.targets.overrides)):
            for i, rule in enumerate(rules):
                if rule.band is not None and rule.band not in known:
                    raise ValueError(
                        f"{where}[{i}].band：学段“{rule.band}”不在 grade_bands 中（可用：{'、'.join(known)}）"
                    )
        unknown = [b for b in self.change.status_cuts if b != "default" and b not in known]
        if unknown:
            raise ValueError(
                f"change.status_cuts：学段“{'、'.join(unknown)}”不在 grade_bands 中（可用：{'、'.join(known)}）"
            )
        return self

    # ---- what the methodology asks of a paper ---------------------------------------------------------
    def grade_band(self, grade: int) -> str | None:
        for band, grades in self.grade_bands.items():
            if int(grade) in grades:
                return band
        return None

    def _resolve(self, default: BaseModel, rules, keys, grade: int, subject: str) -> dict:
        """``default``, then each override rule in order whose band / grade / subject (each optional) match."""
        out = default.model_dump(by_alias=True)
        band = self.grade_band(grade)
        for rule in rules:
            if (
                rule.band not in (None, band)
                or rule.grade not in (None, int(grade))
                or rule.subject not in (None, subject)
            ):
                continue
            given = rule.model_dump(by_alias=True, exclude_unset=True)
            out.update({k: given[k] for k in keys if k in given})
        return out

    def rate_thresholds(self, grade: int, subject: str) -> dict[str, float]:
        """The pass / excellent / low thresholds (shares of full marks) for one grade and subject."""
        out = self._resolve(self.rates.default, self.rates.overrides, ("pass", "excellent", "low"), grade, subject)
        return {k: float(out[k]) for k in ("pass", "excellent", "low")}

    def targets_for(self, grade: int, subject: str) -> dict[str, float]:
        """The targets for one grade and subject (a key set to null removes that target)."""
        keys = tuple(TargetValues.model_fields)
        out = self._resolve(self.targets.default, self.targets.overrides, keys, grade, subject)
        return {k: float(v) for k, v in out.items() if k in keys and v is not None}

    def status_cuts(self, grade: int) -> list[float]:
        return list(self.change.status_cuts.get(self.grade_band(grade), self.change.status_cuts["default"]))

    def sections(self) -> tuple[str, ...]:
        return tuple(type(self).model_fields)

    def appendix(self) -> dict[str, Any]:
        """The effective parameters as plain values, in the YAML's order (what the reports print)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


SECTIONS = tuple(Params.model_fields)
