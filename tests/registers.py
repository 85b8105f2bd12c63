"""Build small registers straight into a real DuckDB file, for hand-checked tests.

    reg = Register(con)                       # school "T1" (secondary) created
    reg.pupil("A1", year_group=9, fsm=True)   # enrolment in 2025/26 by default
    reg.marks("A1", "2025-09-01", "/ / I I N /")   # AM, PM, AM, PM ... from that date, school days only
    reg.mark("A1", "2025-09-08", "AM", "L")
    reg.lessons("A1", "2025-09-01", [("1", "Maths", "/"), ("4", "PE", "N")])

Marks are written as the importer stores them: ``-`` or ``.`` become missing
(NULL code), each with its enrolment's ``enrolment_id`` (a mark written before its
pupil's enrolment gets the id when the enrolment is added), and the school's on-roll registers
(``data.on_roll``) are brought up to date after each write, as the importer does. School days are
Monday to Friday.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from data import calendar, on_roll
from data.db import academic_year_of, link_marks

# The mark's enrolment id, as the importer writes it (NULL until the pupil is enrolled).
_SESSION_COLUMNS = "school_id, upn, date, session, code, academic_year, enrolment_id"
_ENROLMENT_ID = "(SELECT enrolment_id FROM enrolments WHERE school_id = ? AND upn = ? AND academic_year = ?)"


def _d(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def school_days(start, count: int) -> list[date]:
    """``count`` weekdays from ``start`` (inclusive when it is a weekday)."""
    day, out = _d(start), []
    while len(out) < count:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


class Register:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        school_id: str = "T1",
        phase: str = "secondary",
        la_code: str | None = None,
        name: str | None = None,
    ):
        self.con = con
        self.school_id = school_id
        con.execute(
            "INSERT OR REPLACE INTO schools (school_id, name, phase, la_code) VALUES (?, ?, ?, ?)",
            [school_id, name or f"Test school {school_id}", phase, la_code],
        )

    def pupil(
        self,
        upn: str,
        academic_year: int = 2025,
        year_group: int | None = 9,
        form: str | None = None,
        fsm: bool | None = False,
        sen: str | None = "N",
        eal: bool | None = False,
        cin: bool | None = False,
        lac: bool | None = False,
        gender: str | None = "F",
        ethnicity: str | None = "WBRI",
        admission_date=None,
        leaving_date=None,
        surname: str | None = None,
        forename: str | None = None,
        date_of_birth=None,
        language: str | None = None,
    ) -> Register:
        self.con.execute(
            """INSERT OR REPLACE INTO pupils (school_id, upn, surname, forename, date_of_birth, gender, ethnicity,
                                              language)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                self.school_id,
                upn,
                surname or f"Surname{upn}",
                forename or f"Forename{upn}",
                _d(date_of_birth) if date_of_birth else None,
                gender,
                ethnicity,
                language,
            ],
        )
        self.con.execute(
            # Columns named, enrolment_id left out: a re-added enrolment keeps its id, as in the importer.
            """INSERT OR REPLACE INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal,
                                                  cin, lac, admission_date, leaving_date, source)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'imported')""",
            [
                self.school_id,
                upn,
                academic_year,
                year_group,
                form if form is not None else (f"{year_group}A" if year_group is not None else None),
                fsm,
                sen,
                eal,
                cin,
                lac,
                _d(admission_date) if admission_date else None,
                _d(leaving_date) if leaving_date else None,
            ],
        )
        link_marks(self.con, self.school_id)
        on_roll.refresh(self.con, self.school_id, upns=[upn])
        return self

    def mark(self, upn: str, day, session: str, code: str | None, sync: bool = True) -> Register:
        """One session mark. ``sync=False`` leaves the on-roll registers to a later ``sync()`` (bulk writes)."""
        day = _d(day)
        code = None if code in (None, "", "-", ".") else code
        self.con.execute(
            f"INSERT INTO session_marks ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, {_ENROLMENT_ID})",
            [
                self.school_id,
                upn,
                day,
                session,
                code,
                academic_year_of(day),
                self.school_id,
                upn,
                academic_year_of(day),
            ],
        )
        if sync:
            on_roll.refresh(self.con, self.school_id, years=[academic_year_of(day)], upns=[upn])
            self._derive_calendar([academic_year_of(day)])
        return self

    def _derive_calendar(self, years=None) -> None:
        """The school's half-terms from its marks, as the importer derives them after writing marks."""
        if years is None:
            years = [
                r[0]
                for r in self.con.execute(
                    "SELECT DISTINCT academic_year FROM session_marks WHERE school_id = ?", [self.school_id]
                ).fetchall()
            ]
        for year in years:
            calendar.derive_calendar(self.con, self.school_id, year)

    def sync(self) -> Register:
        """Rebuild the school's on-roll registers and derived calendar from its stored marks, as the importer does."""
        on_roll.refresh(self.con, self.school_id)
        self._derive_calendar()
        return self

    def marks(self, upn: str, start, codes: str) -> Register:
        """Whitespace-separated codes, AM then PM, over consecutive school days from ``start``."""
        items = codes.split()
        days = school_days(start, (len(items) + 1) // 2)
        for i, code in enumerate(items):
            self.mark(upn, days[i // 2], "AM" if i % 2 == 0 else "PM", code, sync=False)
        on_roll.refresh(self.con, self.school_id, upns=[upn])
        self._derive_calendar()
        return self

    def lessons(self, upn: str, day, lessons: list[tuple], session_of_period=None) -> Register:
        """``lessons``: (period, subject, code[, minutes_late]) for one day."""
        day = _d(day)
        for item in lessons:
            period, subject, code = item[:3]
            minutes = item[3] if len(item) > 3 else None
            number = int("".join(ch for ch in str(period) if ch.isdigit()) or 0) or None
            session = (session_of_period or (lambda n: "AM" if (n or 0) <= 3 else "PM"))(number)
            self.con.execute(
                f"INSERT INTO lesson_marks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_ENROLMENT_ID})",
                [
                    self.school_id,
                    upn,
                    day,
                    str(period),
                    number,
                    session,
                    subject,
                    None if code in ("", "-") else code,
                    minutes,
                    academic_year_of(day),
                    self.school_id,
                    upn,
                    academic_year_of(day),
                ],
            )
        on_roll.refresh(self.con, self.school_id, years=[academic_year_of(day)], upns=[upn])
        return self

    def calendar(self, academic_year: int, term: str, half_term: int, start, end) -> Register:
        self.con.execute(
            "INSERT OR REPLACE INTO calendar VALUES (?, ?, ?, ?, ?, ?, 'imported')",
            [self.school_id, academic_year, term, half_term, _d(start), _d(end)],
        )
        return self
