"""Today's pupils scored: the probability of ending the year persistently absent, its band and its reasons."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filter, require_pupil_level
from analytics.risk import features as rf
from analytics.risk.explanations import explain
from analytics.risk.model import NotEnoughHistory, default_school, fingerprint, trained, year_frame
from data.db import academic_year_label

BANDS = ((0.5, "High"), (0.2, "Medium"), (0.0, "Low"))  # calibrated probability: >= 50% High, 20-50% Medium


def band(probability: float) -> str:
    for threshold, name in BANDS:
        if probability >= threshold:
            return name
    return BANDS[-1][1]


def score_pupils(
    con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date | None = None, use_characteristics: bool = False
) -> pd.DataFrame:
    """Pupils on roll at the cut-off ranked by their probability of ending the year persistently absent.

    Columns: school_id, upn, surname, forename, year_group, form, attendance_rate,
    probability, band, reasons, previous_cutoff, previous_probability, change
    (percentage points since the end of the previous half-term). The model is
    trained on every complete earlier year at the same point of the year.
    Raises ``NotEnoughHistory`` when there is no complete earlier year.
    """
    require_pupil_level(f)
    schools = list(f.school_ids) or ([s] if (s := default_school(con)) else [])
    frames = [_score_school(con, f, s, cutoff, use_characteristics) for s in schools]
    frames = [x for x in frames if not x.empty]
    if not frames:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["probability", "upn"], ascending=[False, True])


SCORE_COLUMNS = [
    "school_id",
    "upn",
    "surname",
    "forename",
    "year_group",
    "form",
    "attendance_rate",
    "probability",
    "band",
    "reasons",
    "previous_cutoff",
    "previous_probability",
    "change",
]


def _cutoff_for_filter(con, f: Filter, school_id: str, year: int) -> date | None:
    """The latest marked day, or the end of the filter's term / half-term or date range when earlier."""
    days = rf.school_days(con, school_id, year)
    if not days:
        return None
    last = days[-1]
    if f.date_to:
        last = min(last, f.date_to)
    if f.term:
        end = rf.half_term_ends(con, school_id, year).get((f.term, f.half_term or 2))
        if end:
            last = min(last, end)
    return last if last >= days[0] else None


def _score_school(con, f: Filter, school_id: str, cutoff: date | None, use_characteristics: bool) -> pd.DataFrame:
    years = rf.years_with_marks(con, school_id)
    if not years:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    year = f.academic_year if f.academic_year is not None else years[-1]
    cutoff = cutoff or _cutoff_for_filter(con, f, school_id, year)
    if cutoff is None:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    train_years = [y for y in rf.complete_years(con, school_id) if y < year]
    if not train_years:
        raise NotEnoughHistory(
            "The at-risk model learns from earlier complete academic years; this school has none before "
            f"{academic_year_label(year)}."
        )
    fp = fingerprint(con, school_id)
    sf = f.replace(school_ids=(school_id,), academic_year=year)
    point = rf.point_of(con, school_id, year, cutoff)
    model = trained(con, fp, school_id, train_years, point, use_characteristics)
    X, _ = year_frame(con, sf, cutoff, with_outcome=False, fp=fp)
    if X.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    X["probability"] = model.predict(X)
    X["band"] = [band(p) for p in X["probability"]]
    X["reasons"] = explain(model, X)
    previous = [e for k, e in rf.half_term_ends(con, school_id, year).items() if e < cutoff and k in rf.HALF_TERMS]
    X["previous_cutoff"] = None
    X["previous_probability"] = np.nan
    if previous:
        prev_cutoff = max(previous)
        prev_model = trained(
            con, fp, school_id, train_years, rf.point_of(con, school_id, year, prev_cutoff), use_characteristics
        )
        prev_X, _ = year_frame(con, sf, prev_cutoff, with_outcome=False, fp=fp)
        if not prev_X.empty:
            prev = pd.Series(prev_model.predict(prev_X), index=prev_X["upn"])
            X["previous_cutoff"] = prev_cutoff
            X["previous_probability"] = X["upn"].map(prev)
    X["change"] = X["probability"] - X["previous_probability"]
    names = con.execute("SELECT upn, surname, forename FROM pupils WHERE school_id = ?", [school_id]).df()
    X = X.merge(names, on="upn", how="left")
    X["year_group"] = X["year_group"].astype("Int64")
    return X[SCORE_COLUMNS]
