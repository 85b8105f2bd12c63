"""A seeded multi-year secondary register for the at-risk model's tests.

Used until (and alongside) the project's sample school: pupils persist across
academic years (Year 7 joins, Year 11 leaves), each with a lasting tendency to
miss school, illness that comes in spells, some pupils who decline through the
year, some who miss Mondays or Fridays, lateness and lessons skipped after
registration. Written straight into DuckDB in bulk (the importer is tested
elsewhere).

    build_school(con, years=(2023, 2024, 2025), partial_year=2026, pupils_per_year=100)
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from data import on_roll as on_roll_registers

# Teaching weeks and breaks from the first Monday of September: 7, (1), 7, (2), 6, (1), 5, (2), 6, (1), 6 = 37 weeks.
_BLOCKS = (("autumn", 1, 7, 1), ("autumn", 2, 7, 2), ("spring", 1, 6, 1), ("spring", 2, 5, 2), ("summer", 1, 6, 1))
_LAST = ("summer", 2, 6)
_ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WOTH", "ABAN", "APKN", "BAFR", "BCRB", "MWBC", "CHNE", "AIND")


def _first_monday(year: int) -> date:
    d = date(year, 9, 1)
    while d.isoweekday() != 1:
        d += timedelta(days=1)
    return d


def term_calendar(year: int) -> list[tuple[str, int, date, date]]:
    """(term, half_term, start, end) for one academic year of this register."""
    out, start = [], _first_monday(year)
    for term, half, weeks, gap in _BLOCKS:
        end = start + timedelta(weeks=weeks) - timedelta(days=3)
        out.append((term, half, start, end))
        start = start + timedelta(weeks=weeks + gap)
    out.append((_LAST[0], _LAST[1], start, start + timedelta(weeks=_LAST[2]) - timedelta(days=3)))
    return out


def school_days(year: int, until: date | None = None) -> list[date]:
    days = []
    for _term, _half, start, end in term_calendar(year):
        d = start
        while d <= end:
            if d.isoweekday() <= 5 and (until is None or d <= until):
                days.append(d)
            d += timedelta(days=1)
    return days


def build_school(
    con: duckdb.DuckDBPyConnection,
    years: tuple[int, ...] = (2023, 2024, 2025),
    partial_year: int | None = None,
    partial_until: date | None = None,
    pupils_per_year: int = 100,
    school_id: str = "R1",
    lessons: bool = True,
    seed: int = 7,
) -> None:
    rng = np.random.default_rng(seed)
    con.execute(
        "INSERT OR REPLACE INTO schools (school_id, name, phase, is_sample) VALUES (?, 'Risk test school', 'secondary', TRUE)",
        [school_id],
    )
    all_years = list(years) + ([partial_year] if partial_year is not None else [])
    first = all_years[0]
    # Cohorts: entry year e is in Year 7 in academic year e.
    cohorts = range(first - 4, all_years[-1] + 1)
    n = pupils_per_year * len(cohorts)
    cohort = np.repeat(np.array(list(cohorts)), pupils_per_year)
    upn = np.array([f"R{i:05d}" for i in range(n)])
    fsm = rng.random(n) < 0.25
    sen = rng.choice(np.array(["N", "K", "E"]), size=n, p=[0.85, 0.12, 0.03])
    eal = rng.random(n) < 0.15
    cin = rng.random(n) < 0.03
    lac = rng.random(n) < 0.01
    gender = rng.choice(np.array(["F", "M"]), size=n)
    ethnicity = rng.choice(np.array(_ETHNICITIES), size=n)
    # A lasting tendency to miss school, higher for FSM, SEND, CiN, LAC (as nationally).
    tendency = (
        rng.normal(0, 1, n) + 0.45 * fsm + 0.3 * (sen == "K") + 0.6 * (sen == "E") + 0.7 * cin + 0.4 * lac - 0.15 * eal
    )
    illness = rng.lognormal(0, 0.5, n)
    lateness = rng.lognormal(0, 0.8, n)
    weekday = np.where(rng.random(n) < 0.08, rng.choice(np.array([1, 5]), size=n), 0)
    skipper = rng.random(n) < 0.06
    pupils = pd.DataFrame(
        {
            "school_id": school_id,
            "upn": upn,
            "surname": [f"Surname{u}" for u in upn],
            "forename": [f"Forename{u}" for u in upn],
            "date_of_birth": pd.NaT,
            "gender": gender,
            "ethnicity": ethnicity,
        }
    )
    con.register("risk_pupils_df", pupils)
    con.execute("INSERT OR REPLACE INTO pupils BY NAME SELECT * FROM risk_pupils_df")
    con.unregister("risk_pupils_df")

    carry = rng.normal(0, 0.5, n)  # this year's drift, carried partly into the next
    for year in all_years:
        until = partial_until if year == partial_year else None
        if year == partial_year and until is None:
            until = date(year, 11, 20)
        days = school_days(year, until)
        whole = school_days(year)
        year_group = year - cohort + 7
        on_roll = np.flatnonzero((year_group >= 7) & (year_group <= 11))
        carry = 0.6 * carry + rng.normal(0, 0.45, n)
        level = 0.9 * tendency + carry
        # Joiners and leavers during the year.
        admission = [None] * n
        leaving = [None] * n
        for i in on_roll:
            r = rng.random()
            if r < 0.04:
                admission[i] = whole[rng.integers(20, 150)]
            elif r < 0.07:
                leaving[i] = whole[rng.integers(40, 180)]
        enrol = pd.DataFrame(
            {
                "school_id": school_id,
                "upn": upn[on_roll],
                "academic_year": year,
                "year_group": year_group[on_roll],
                "form": [f"{year_group[i]}{'ABCD'[i % 4]}" for i in on_roll],
                "fsm": fsm[on_roll],
                "sen": sen[on_roll],
                "eal": eal[on_roll],
                "cin": cin[on_roll],
                "lac": lac[on_roll],
                "admission_date": [admission[i] for i in on_roll],
                "leaving_date": [leaving[i] for i in on_roll],
                "source": "imported",
            }
        )
        con.register("risk_enrol_df", enrol)
        con.execute("INSERT OR REPLACE INTO enrolments BY NAME SELECT * FROM risk_enrol_df")  # keeps enrolment_id
        con.unregister("risk_enrol_df")
        for term, half, start, end in term_calendar(year):
            con.execute(
                "INSERT OR REPLACE INTO calendar VALUES (?, ?, ?, ?, ?, ?, 'imported')",
                [school_id, year, term, half, start, end],
            )
        _write_marks(
            con,
            rng,
            school_id,
            year,
            days,
            len(whole),
            on_roll,
            upn,
            level,
            illness,
            lateness,
            weekday,
            skipper,
            admission,
            leaving,
            lessons,
        )


def _write_marks(con, rng, school_id, year, days, n_whole, on_roll, upn, level, illness, lateness, weekday, skipper,
                 admission, leaving, lessons) -> None:  # fmt: skip
    nd, npup = len(days), len(on_roll)
    t = np.arange(nd)
    dow = np.array([d.isoweekday() for d in days])
    month = np.array([d.month for d in days])
    lv = level[on_roll][:, None]
    # Some pupils decline from a point in the year: unauthorised absence grows from then on.
    declines = rng.random(npup) < 0.10
    start = rng.integers(0, max(n_whole - 40, 1), npup)
    slope = rng.uniform(0.01, 0.03, npup)
    decline = np.where(declines[:, None], np.clip(t[None, :] - start[:, None], 0, None) * slope[:, None], 0.0)
    wd = weekday[on_roll][:, None]
    day_effect = 0.12 * ((dow == 5) | (dow == 1))[None, :] + 1.0 * ((wd != 0) & (dow[None, :] == wd))
    unauth_p = 1 / (1 + np.exp(-(-4.4 + 1.2 * lv + decline + day_effect)))
    unauth_day = rng.random((npup, nd)) < unauth_p
    # Illness: spells of 1-4 days, more in winter; not very persistent from year to year.
    winter = np.where(np.isin(month, [12, 1, 2]), 1.6, 1.0)[None, :]
    spell_start = rng.random((npup, nd)) < 0.011 * illness[on_roll][:, None] * winter
    ill = np.zeros((npup, nd), dtype=bool)
    lengths = rng.integers(1, 5, (npup, nd))
    for i, j in zip(*np.nonzero(spell_start), strict=True):
        ill[i, j : j + lengths[i, j]] = True
    codes = np.empty((npup, nd, 2), dtype=object)
    codes[:, :, 0] = "/"
    codes[:, :, 1] = "\\"
    late = rng.random((npup, nd)) < 0.015 * lateness[on_roll][:, None] * (1 + 0.3 * np.clip(lv, 0, None))
    codes[:, :, 0] = np.where(late, "L", codes[:, :, 0])
    late_u = rng.random((npup, nd)) < 0.003 * lateness[on_roll][:, None] * (1 + np.clip(lv, 0, None))
    codes[:, :, 0] = np.where(late_u, "U", codes[:, :, 0])
    appointment = rng.random((npup, nd, 2)) < 0.003
    codes = np.where(appointment, "M", codes)
    unauth_code = np.where(rng.random((npup, nd)) < 0.7, "N", "O")
    codes = np.where(unauth_day[:, :, None], unauth_code[:, :, None], codes)
    codes = np.where(ill[:, :, None], "I", codes)
    # Term-time holidays next to a half-term for some families.
    for i in np.flatnonzero(rng.random(npup) < 0.04 * (1 + np.clip(lv[:, 0], 0, None))):
        j = rng.integers(0, max(nd - 5, 1))
        codes[i, j : j + 5, :] = "G"
    rows_upn = np.repeat(upn[on_roll], nd * 2)
    rows_date = np.tile(np.repeat(np.array(days, dtype="datetime64[D]"), 2), npup)
    rows_session = np.tile(np.array(["AM", "PM"]), npup * nd)
    marks = pd.DataFrame(
        {"school_id": school_id, "upn": rows_upn, "date": rows_date, "session": rows_session,
         "code": codes.reshape(-1), "academic_year": year}
    )  # fmt: skip
    adm = {upn[i]: admission[i] for i in on_roll if admission[i] is not None}
    lea = {upn[i]: leaving[i] for i in on_roll if leaving[i] is not None}
    keep = np.ones(len(marks), dtype=bool)
    for u, d in adm.items():
        keep &= ~((marks["upn"].to_numpy() == u) & (marks["date"].to_numpy() < np.datetime64(d)))
    for u, d in lea.items():
        keep &= ~((marks["upn"].to_numpy() == u) & (marks["date"].to_numpy() > np.datetime64(d)))
    marks = marks[keep]
    con.register("risk_marks_df", marks)
    con.execute(
        "INSERT INTO session_marks BY NAME SELECT m.*, e.enrolment_id FROM risk_marks_df m "
        "JOIN enrolments e ON e.school_id = m.school_id AND e.upn = m.upn AND e.academic_year = m.academic_year"
    )
    con.unregister("risk_marks_df")
    if not lessons:
        on_roll_registers.refresh(con, school_id)
        return
    # Five lessons a day (three in the morning); skippers miss some lessons after registering present.
    periods = 5
    present = np.isin(codes, ["/", "\\", "L"])
    lesson_session = np.array([0, 0, 0, 1, 1])
    lesson_present = present[:, :, lesson_session]
    skip_p = np.where(skipper[on_roll], 0.06, 0.004)[:, None, None]
    skipped = lesson_present & (rng.random((npup, nd, periods)) < skip_p)
    session_code = codes[:, :, lesson_session]
    lesson_code = np.where(lesson_present, "/", session_code)
    lesson_code = np.where(skipped, "N", lesson_code)
    lessons_df = pd.DataFrame(
        {
            "school_id": school_id,
            "upn": np.repeat(upn[on_roll], nd * periods),
            "date": np.tile(np.repeat(np.array(days, dtype="datetime64[D]"), periods), npup),
            "period": np.tile(np.array(["1", "2", "3", "4", "5"]), npup * nd),
            "period_number": np.tile(np.arange(1, periods + 1), npup * nd),
            "session": np.tile(np.array(["AM", "AM", "AM", "PM", "PM"]), npup * nd),
            "subject": np.tile(np.array(["Maths", "English", "Science", "PE", "History"]), npup * nd),
            "code": lesson_code.reshape(-1),
            "minutes_late": None,
            "academic_year": year,
        }
    )
    con.register("risk_lessons_df", lessons_df)
    con.register("risk_marks_df", marks[["upn", "date"]].drop_duplicates())
    con.execute(
        "INSERT INTO lesson_marks BY NAME SELECT l.*, e.enrolment_id FROM risk_lessons_df l "
        "JOIN enrolments e ON e.school_id = l.school_id AND e.upn = l.upn AND e.academic_year = l.academic_year "
        "WHERE EXISTS (SELECT 1 FROM risk_marks_df m WHERE m.upn = l.upn AND m.date = l.date)"
    )
    con.unregister("risk_marks_df")
    con.unregister("risk_lessons_df")
    on_roll_registers.refresh(con, school_id)
