"""The one filter object every analytics function takes.

A ``Filter`` says which marks and which enrolments a question is about: school,
academic year, a date range or a term / half-term, year groups, forms, pupil
groups, and optionally particular pupils, weekdays or sessions (drill-down).
A ``Scope`` is what the signed-in user may see; it travels inside the filter so
that the rule holds in every query, not just on the pages.

``Filter.where()`` renders both as one SQL predicate with bound parameters over
the aliases ``m`` (a mark: session or lesson), ``e`` (its enrolment) and ``p``
(the pupil).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from data.db import academic_year_label
from data.scope import Scope  # defined with the accounts it is read from; used here in every query

# Yes/no pupil groups and the enrolment column each reads.
FLAG_GROUPS = ("fsm", "eal", "cin", "lac")
# Every breakdown the dashboard and the command line offer, and the SQL column behind it.
GROUP_COLUMNS = {
    "fsm": "e.fsm",
    "sen": "e.sen",
    "eal": "e.eal",
    "cin": "e.cin",
    "lac": "e.lac",
    "year_group": "e.year_group",
    "form": "e.form",
    "gender": "p.gender",
    "ethnicity": "p.ethnicity",
}
GROUP_LABELS = {
    "fsm": "FSM",
    "sen": "SEN provision",
    "eal": "EAL",
    "cin": "Children in need",
    "lac": "Looked-after children",
    "year_group": "Year group",
    "form": "Form",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
}
# One pupil's yes/no group as a page names it ("FSM, Looked after"), beside the groups' headings above.
FLAG_LABELS = {"fsm": "FSM", "eal": "EAL", "cin": "Child in need", "lac": "Looked after"}
SEN_LABELS = {"E": "EHC plan", "K": "SEN support", "N": "No SEN"}
TERMS = ("autumn", "spring", "summer")


class PupilLevelDenied(PermissionError):
    """Raised by any function returning pupil-level rows when the scope forbids them."""


def require_pupil_level(f: Filter) -> None:
    """Call first in every function that returns rows about individual pupils."""
    if not f.scope.pupil_level:
        raise PupilLevelDenied("this view shows individual pupils, which this role may not see")


@dataclass(frozen=True)
class Filter:
    school_ids: tuple[str, ...] = ()
    academic_year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    term: str | None = None  # autumn | spring | summer
    half_term: int | None = None  # 1 | 2, within term
    year_groups: tuple[int, ...] = ()
    forms: tuple[str, ...] = ()
    fsm: bool | None = None
    sen: tuple[str, ...] = ()
    eal: bool | None = None
    cin: bool | None = None
    lac: bool | None = None
    genders: tuple[str, ...] = ()
    ethnicities: tuple[str, ...] = ()
    upns: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()  # ISO: 1 = Monday .. 5 = Friday
    sessions: tuple[str, ...] = ()  # AM | PM
    scope: Scope = field(default_factory=Scope)

    def replace(self, **changes) -> Filter:
        return replace(self, **changes)

    def for_year(self, academic_year: int) -> Filter:
        """The same question about another academic year (dates and term kept as a term)."""
        return replace(self, academic_year=academic_year, date_from=None, date_to=None)

    def whole_year(self) -> Filter:
        """The same pupils over the whole academic year (no date range or term)."""
        return replace(self, date_from=None, date_to=None, term=None, half_term=None)

    def period_only(self) -> Filter:
        """The schools, year and period without the pupil groups (the scope kept): everyone in that period."""
        return Filter(
            school_ids=self.school_ids,
            academic_year=self.academic_year,
            date_from=self.date_from,
            date_to=self.date_to,
            term=self.term,
            half_term=self.half_term,
            scope=self.scope,
        )

    def where(self, marks: str = "m", enrolments: str = "e", pupils: str = "p") -> tuple[str, list]:
        """SQL predicate and parameters for this filter over the given aliases."""
        m, e, p = marks, enrolments, pupils
        clauses: list[str] = []
        params: list = []

        def any_of(column: str, values) -> None:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)

        if self.school_ids:
            any_of(f"{m}.school_id", self.school_ids)
        if self.academic_year is not None:
            clauses.append(f"{m}.academic_year = ?")
            params.append(self.academic_year)
        if self.date_from is not None:
            clauses.append(f"{m}.date >= ?")
            params.append(self.date_from)
        if self.date_to is not None:
            clauses.append(f"{m}.date <= ?")
            params.append(self.date_to)
        if self.term:
            # Resolved against the school's own calendar (derived or imported). The term is
            # expanded to its days so the test is an equality (a hash semi-join): a range
            # test against the calendar was the slowest part of a term query at trust scale.
            half = "AND cal.half_term = ?" if self.half_term else ""
            clauses.append(
                f"EXISTS (SELECT 1 FROM (SELECT cal.school_id, cal.academic_year, "
                f"unnest(generate_series(cal.start_date, cal.end_date, INTERVAL 1 DAY))::DATE AS day "
                f"FROM calendar cal WHERE cal.term = ? {half}) tday "
                f"WHERE tday.school_id = {m}.school_id AND tday.academic_year = {m}.academic_year "
                f"AND tday.day = {m}.date)"
            )
            params.append(self.term)
            if self.half_term:
                params.append(self.half_term)
        if self.year_groups:
            any_of(f"{e}.year_group", self.year_groups)
        if self.forms:
            any_of(f"{e}.form", self.forms)
        for flag in FLAG_GROUPS:
            value = getattr(self, flag)
            if value is not None:
                clauses.append(f"{e}.{flag} IS NOT DISTINCT FROM ?")
                params.append(value)
        if self.sen:
            any_of(f"{e}.sen", self.sen)
        if self.genders:
            any_of(f"{p}.gender", self.genders)
        if self.ethnicities:
            any_of(f"{p}.ethnicity", self.ethnicities)
        if self.upns:
            any_of(f"{m}.upn", self.upns)
        if self.weekdays:
            any_of(f"isodow({m}.date)", self.weekdays)
        if self.sessions:
            any_of(f"{m}.session", self.sessions)
        s = self.scope
        if s.school_ids:
            any_of(f"{m}.school_id", s.school_ids)
        if s.year_groups or s.forms:
            parts = []
            if s.year_groups:
                parts.append(f"{e}.year_group IN ({', '.join('?' for _ in s.year_groups)})")
                params.extend(s.year_groups)
            if s.forms:
                parts.append(f"{e}.form IN ({', '.join('?' for _ in s.forms)})")
                params.extend(s.forms)
            clauses.append("(" + " OR ".join(parts) + ")")
        return (" AND ".join(clauses) or "TRUE"), params

    def describe(self) -> str:
        """A short human description for chart titles: 'Year 9, FSM, autumn term'."""
        parts: list[str] = []
        if self.year_groups:
            parts.append(", ".join(year_group_label(y) for y in sorted(self.year_groups)))
        if self.forms:
            parts.append("form " + ", ".join(self.forms))
        for flag in FLAG_GROUPS:
            value = getattr(self, flag)
            if value is not None:
                parts.append(("" if value else "not ") + GROUP_LABELS[flag])
        if self.sen:
            parts.append(", ".join(SEN_LABELS.get(s, s) for s in self.sen))
        if self.genders:
            parts.append(", ".join(self.genders))
        if self.ethnicities:
            parts.append(", ".join(self.ethnicities))
        if self.weekdays:
            parts.append(", ".join(WEEKDAYS[d - 1] for d in self.weekdays))
        if self.sessions:
            parts.append(" and ".join(self.sessions))
        if self.term:
            parts.append(f"{self.term} term" + (f" {self.half_term}" if self.half_term else ""))
        if self.date_from or self.date_to:
            left = self.date_from.strftime("%d/%m/%Y") if self.date_from else "start"
            right = self.date_to.strftime("%d/%m/%Y") if self.date_to else "today"
            parts.append(f"{left} to {right}")
        if self.academic_year is not None:
            parts.append(academic_year_label(self.academic_year))
        return ", ".join(parts) or "all pupils"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def year_group_label(year: int | None) -> str:
    if year is None:
        return "Unknown year"
    if year == 0:
        return "Reception"
    if year < 0:
        return "Nursery"
    return f"Year {year}"


def school_filter(f: Filter) -> Filter:
    """Only the school part of a filter (schools and the user's schools): for school-wide facts."""
    return Filter(school_ids=f.school_ids, scope=Scope(school_ids=f.scope.school_ids))
