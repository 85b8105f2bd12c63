"""The seed, and the school models: a secondary and a primary."""

from __future__ import annotations

from dataclasses import dataclass

SEED = 20261123  # the day the sample was frozen; change it and every file changes


@dataclass(frozen=True)
class SchoolModel:
    """The knobs that make a secondary look like a secondary and a primary like a primary."""

    name: str
    primary: bool
    first_year_group: int
    last_year_group: int
    forms_per_year: int
    cohort: int  # pupils admitted to the entry year each September
    base: float  # logit of a typical pupil's daily chance of being absent
    spread: float  # standard deviation of the latent propensity, on the logit scale
    year_slope: float  # logit added per year group above the first
    severe_share: float  # pupils whose absence is severe (school refusal, long illness)
    unauth_base: float  # logit of the share of absence spells that are unauthorised
    holiday_chance: float  # chance a pupil takes a term-time holiday in a given year
    friday_pm_skippers: float  # share of pupils who tend to miss Friday afternoons
    churn: float  # share of pupils leaving during a year (replaced by joiners)


SECONDARY = SchoolModel("secondary", False, 7, 11, 8, 240, -4.13, 0.95, 0.1, 0.014, -1.5, 0.16, 0.16, 0.03)
PRIMARY = SchoolModel("primary", True, 0, 6, 1, 30, -4.3, 1.0, -0.02, 0.006, -2.2, 0.14, 0.02, 0.03)
