"""The words of letters home: built-in templates and one pupil's figures as sentences parents relate to.

Percentages mean little at the kitchen table; days and lessons missed do. The
placeholders below are what a school may use in its own wording; anything else
in braces is refused when the template is saved, so a letter never goes out with
a gap in it.
"""

from __future__ import annotations

import re
import string
from datetime import date

from analytics.measures import PERSISTENT_LINE
from data import letter_templates
from data.readers import norm
from ui import road_words

TITLES = {
    "first_concern": "First letter of concern",
    "meeting": "Invitation to an attendance meeting",
    "contract": "Attendance contract",
    "notice_to_improve": "Notice to Improve",
}

PLACEHOLDERS = {
    "forename": "the pupil's first name",
    "surname": "the pupil's surname",
    "full_name": "first name and surname",
    "year_group": "e.g. Year 9",
    "form": "registration form",
    "school_name": "the school's name",
    "as_of": "the date the figures run to",
    "attendance": "attendance this year, e.g. 87.5%",
    "days_missed": "e.g. 12 school days",
    "lessons_missed": "a sentence on lessons and hours missed (blank without lesson registers)",
    "rule_of_three": "sentences on the Rule of 3: days missed this half-term and how many more it allows",
    "half_term_left": "a sentence: the days the pupil can still miss this half-term (the Rule of 3)",
    "half_term_days_left": "a number: days the pupil can still miss this half-term and average "
    f"{PERSISTENT_LINE:g}% over it",
    "days_left": "school days left this year (from the school calendar)",
    "projected": "days missed by July at the rate so far this year",
    "road": "the road to the end of the year in full, as the pupil's page says it",
    "can_miss": f"the most days the pupil can still miss and end the year above {PERSISTENT_LINE:g}%, "
    "and the best attendance still within reach",
    "at_this_rate": "the attendance the pupil will end the year on at their rate since half-term "
    "(and when they would reach the penalty-notice threshold)",
    "can_miss_days": f"a number: days the pupil can still miss and end above {PERSISTENT_LINE:g}% (0 when none)",
    "best_attendance": "the best attendance still within reach, e.g. 93.2%",
    "projected_attendance": "the attendance at the end of the year at the rate since half-term, e.g. 88.4%",
    "days_missed_number": "a number: days missed so far (for wording in another language)",
    "days_left_number": "a number: school days left this year",
    "national": "a sentence comparing with schools in England",
    "meeting_date": "the meeting date typed when the letter is made",
    "today": "the date of the letter",
}

# The built-in greeting, closing and signature (a school's template in another language gives its own).
DEFAULT_FRAME = {
    "salutation": "Dear parent or carer of {full_name},",
    "signoff": "Yours sincerely,",
    "signature": "Attendance team",
}

DEFAULTS = {
    "first_concern": (
        "{forename}'s attendance",
        """We are writing because {forename}'s attendance at school this year is {attendance}. Up to {as_of}, \
{forename} has missed {days_missed}. {lessons_missed}

{rule_of_three} {national}

There are {days_left} left this year. {can_miss} {at_this_rate}

Every day in school counts, and we want to help. If something is making it hard for {forename} to come to \
school, please contact us so that we can talk about it and find a way forward together.""",
    ),
    "meeting": (
        "Invitation to talk about {forename}'s attendance",
        """{forename}'s attendance this year is {attendance}: {forename} has missed {days_missed} up to {as_of}. \
{lessons_missed}

{can_miss} {at_this_rate}

We would like to meet you on {meeting_date} to talk about what is getting in the way and to agree a plan, \
with targets, that helps {forename} attend every day. Please let us know if that time does not suit you.

{rule_of_three} {national}""",
    ),
    "contract": (
        "Attendance contract for {full_name}",
        """Thank you for meeting us. As agreed, this letter sets out an attendance contract for {full_name} \
({year_group}, {form}).

{forename}'s attendance this year is {attendance}; {forename} has missed {days_missed} up to {as_of}. \
{lessons_missed} There are {days_left} left this year. {can_miss}

The school will provide the support we agreed and review it with you on {meeting_date}. You agree to make \
sure {forename} attends every day and to tell us on the first day of any absence.

{national}""",
    ),
    "notice_to_improve": (
        "Notice to Improve: {full_name}",
        """Despite the support offered, {forename}'s attendance this year is {attendance}: {forename} has missed \
{days_missed} up to {as_of}, including absence the school has not authorised. {lessons_missed}

{at_this_rate} {can_miss}

This is a Notice to Improve. {forename}'s attendance must improve from now on. We will review it on \
{meeting_date}. If it has not improved, the school may ask the local authority to issue a penalty notice.

We still want to help: please contact us to talk about any support {forename} needs.

{rule_of_three} {national}""",
    ),
}


# Placeholders that give English words: a template in another language is better off with the figures.
ENGLISH_WORDS = (
    "year_group",
    "days_missed",
    "lessons_missed",
    "rule_of_three",
    "half_term_left",
    "days_left",
    "projected",
    "national",
    "road",
    "can_miss",
    "at_this_rate",
)


class TemplateError(ValueError):
    """A template that cannot be used (message names the problem)."""


def check_template(subject: str, body: str, *frame: str) -> None:
    """Refuse unknown or malformed placeholders, naming them (in the subject, body, greeting, closing...)."""
    for text in (subject, body, *frame):
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise TemplateError(f"a brace is not closed: {exc}") from None
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            raise TemplateError(f"unknown placeholder(s): {', '.join('{' + n + '}' for n in unknown)}")


def english_placeholders(*texts: str) -> list[str]:
    """The placeholders in ``texts`` that give English words (``ENGLISH_WORDS``), in that order."""
    used = {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}
    return [name for name in ENGLISH_WORDS if name in used]


def _days(value: float) -> str:
    value = round(value * 2) / 2
    text = f"{value:g}"
    return f"{text} school day" if value == 1 else f"{text} school days"


def _number(value: float | None) -> str:
    """Days as a bare number to the half day: 7, 7.5; blank when unknown."""
    return "" if value is None else f"{round(value * 2) / 2:g}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def long_date(d: date | None) -> str:
    return "" if d is None else f"{d.day} {d.strftime('%B %Y')}"


def _date_for(language: str | None):
    """Dates in words in English; in another language as 20/11/2025, which every reader follows."""
    if language and norm(language) != norm(letter_templates.DEFAULT_LANGUAGE):
        return lambda d: "" if d is None else f"{d:%d/%m/%Y}"
    return long_date


def fields(
    figures: dict, meeting_date: str = "", today: date | None = None, language: str | None = None
) -> dict[str, str]:
    """Every placeholder's text for one pupil, from ``analytics.letter_figures.letter_figures``.

    ``language``: the template's; dates are in words in English, as numbers otherwise. The sentence
    placeholders are English: a template in another language uses the figures (``{attendance}``,
    ``{days_missed_number}``, ``{can_miss_days}``, ``{best_attendance}`` ...).
    """
    f = figures
    date_text = _date_for(language)
    forename = f.get("forename") or "your child"
    lessons = ""
    if f.get("lessons_missed"):
        hours = round(f.get("hours_missed") or 0)
        lessons = f"That is {int(f['lessons_missed'])} lessons, about {hours} hours of learning."
    rule = f"Three days off in a half-term already brings attendance down to {f['line']:g}%."
    current = next((h for h in f.get("half_terms", []) if h["in_progress"]), None) or (
        f["half_terms"][-1] if f.get("half_terms") else None
    )
    if current:
        rule += f" In {current['half_term']} {forename} has missed {_days(current['days_off'])}."
    national = ""
    if f.get("national_attendance") is not None:
        national = (
            f"Across England, pupils attend {f['national_attendance']:.1f}% of the time "
            f"({f['national_period']}); {forename}'s attendance is {f['attendance_rate']:.1f}%."
        )
    year = f.get("year_group")
    road = road_words.road_parts(f.get("road") or {})
    return {
        "forename": forename,
        "surname": f.get("surname") or "",
        "full_name": " ".join(x for x in (f.get("forename"), f.get("surname")) if x),
        "year_group": "Reception" if year == 0 else (f"Year {year}" if year is not None else ""),
        "form": f.get("form") or "",
        "school_name": f.get("school_name") or "",
        "as_of": date_text(f.get("as_of")),
        "attendance": f"{f['attendance_rate']:.1f}%",
        "days_missed": _days(f["days_missed"]),
        "lessons_missed": lessons,
        "rule_of_three": " ".join([rule, *road.get("half_term", [])]),
        "half_term_left": " ".join(road.get("half_term", [])),
        "half_term_days_left": _number((f.get("road") or {}).get("half_term_days_left")),
        "days_left": _days(f["days_left"]),
        "projected": _days(f["projected_days_missed"]),
        "road": " ".join(sentence for key in road_words.ROAD_PARTS for sentence in road.get(key, [])),
        "can_miss": " ".join(road.get("can_miss", [])),
        "at_this_rate": " ".join(road.get("at_this_rate", [])),
        "can_miss_days": _number(f.get("can_miss_days")),
        "best_attendance": _percent(f.get("best_attendance")),
        "projected_attendance": _percent(f.get("projected_attendance")),
        "days_missed_number": _number(f["days_missed"]),
        "days_left_number": _number(f["days_left"]),
        "national": national,
        "meeting_date": meeting_date or "a date we will agree with you",
        "today": date_text(today or date.today()),
    }


def fill(text: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled; spaces left by empty sentences tidied."""
    filled = text.format_map(values)
    return "\n\n".join(re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", filled) if p.strip())
