"""Reading one cell: dates, sessions, yes/no, year groups, SEN, EAL, marks.

Each parser runs once per *distinct* value in a file, so a 1.7 million row file
costs a few hundred Python calls; the rows themselves stay in DuckDB. A value
that cannot be read raises ``BadValue`` with a message for the data manager.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from data.readers.fields import norm

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year)
NO_END = date(2079, 6, 6)  # the "no end date" of MIS databases (SQL Server's last smalldatetime day)
_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"


class BadValue(ValueError):
    """A cell that cannot be read; the message says why, for the data manager."""


def strip_weekday(text: str) -> str:
    """'Mon 08/09/2025' -> '08/09/2025' (printed registers put the day's name first)."""
    return _WEEKDAY.sub("", text.strip())


def parse_date(text) -> date | None:
    """UK dates as MIS exports write them; None for blank. Raises BadValue when impossible.

    dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, d/m/yy, yyyy-mm-dd (with an optional time,
    ISO ``T`` and zone), 2 Sep 2025, a leading day name (Mon 08/09/2025), and Excel
    serial day numbers (45902).
    """
    s = strip_weekday(str(text or ""))
    if not s:
        return None
    written_day_first = False
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, s)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(
            r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?", s
        )
        if m:
            d, mo, y = int(m[1]), int(m[2]), int(m[3])
            written_day_first = True
            if len(m[3]) == 2:
                y += 2000 if y < 70 else 1900  # two-digit years: 00-69 are this century
        else:
            m = re.fullmatch(r"(\d{1,2})[ \-]([A-Za-z]{3})[a-z]*[ \-,]+(\d{4})", s)
            if m and m[2].lower() in _MONTHS:
                d, mo, y = int(m[1]), _MONTHS[m[2].lower()], int(m[3])
            elif re.fullmatch(r"\d{5}(?:\.0+)?", s):
                serial = int(float(s))
                if not 10000 <= serial <= 80000:  # 1927-2119: anything else is not a school date
                    raise BadValue(f"not a date: {s!r}")
                return EXCEL_EPOCH + timedelta(days=serial)
            else:
                raise BadValue("not a date (expected dd/mm/yyyy)")
    try:
        return date(y, mo, d)
    except ValueError:
        if written_day_first and mo > 12 and d <= 12:
            raise BadValue("impossible date: it reads as month/day (US order); export dates as day/month") from None
        raise BadValue("impossible date") from None


def parse_end_date(text) -> date | None:
    """A leaving date, where the MIS's "no end" date (2079-06-06 or later) means still on roll."""
    d = parse_date(text)
    return None if d is not None and d >= NO_END else d


def looks_like_date(text) -> bool:
    try:
        return parse_date(text) is not None
    except BadValue:
        return False


_SESSIONS = {"am": "AM", "pm": "PM", "a": "AM", "p": "PM", "morning": "AM", "afternoon": "PM", "m": "AM"}
SESSION_WORDS = frozenset({"am", "pm", "morning", "afternoon"})  # what a grid's second header row says


def parse_session(text) -> str:
    """AM / PM from AM, pm, Morning, Afternoon, A, P, 'AM Registration'. Raises BadValue otherwise."""
    key = norm(text)
    s = _SESSIONS.get(key) or _SESSIONS.get(re.sub(r"(registration|register|reg|session)", "", key))
    if s is None:
        raise BadValue("session must be AM or PM")
    return s


_YES = {"y", "yes", "true", "t", "1", "eligible", "fsm"}
_NO = {"n", "no", "false", "f", "0", "noteligible", "not", "none"}


def parse_yes_no(text) -> bool | None:
    """Y/N, Yes/No, True/False, T/F, 1/0; None for blank (unknown). Raises BadValue otherwise."""
    s = norm(text)
    if not s:
        return None
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise BadValue("expected Y or N (Yes/No, True/False, 1/0)")


def parse_year_group(text) -> int | None:
    """National curriculum year: 7, 07, Year 7, Year  7, Y7, Yr 7, R, Reception, N1, N2; None for blank."""
    s = norm(text)
    if not s:
        return None
    s = re.sub(r"^(ncyear|year|yr|nc|y)", "", s) or s
    if s in ("r", "rec", "reception"):
        return 0
    if s in ("n2", "nursery", "nursery2", "n"):
        return -1  # N2 is the year before Reception
    if s in ("n1", "nursery1"):
        return -2
    if s.isdigit() and 0 <= int(s) <= 14:
        return int(s)
    raise BadValue("not a year group (expected e.g. 7, Year 7, Y7, R)")


def parse_sen(text) -> str | None:
    """SEN provision E (EHC plan), K (SEN support) or N (none); None for blank."""
    s = norm(text)
    if not s:
        return None
    if s in ("e", "ehc", "ehcp", "ehcplan", "s", "statement", "statemented") or "educationhealth" in s:
        return "E"
    if s in ("k", "a", "p", "sensupport", "support", "schoolaction", "schoolactionplus") or s.startswith("sensupport"):
        return "K"
    if s in ("n", "no", "none", "nosen", "nosend", "notsen", "false", "0") or "nospecial" in s:
        return "N"
    raise BadValue("SEN provision must be E, K or N (or EHC Plan, SEN Support, No SEN)")


# English in words and in the census's language codes (ENG, ENB: English or believed to be).
_ENGLISH = {"english", "eng", "enb", "englishbelievedtobe", "engb", "believedtobeenglish"}
_LANGUAGE_UNKNOWN = {
    "notknown",
    "unknown",
    "informationnotobtained",
    "refused",
    "informationrefused",
    "notobtained",
    "not",  # census: information not obtained
    "ref",  # census: refused
}


def parse_eal(text) -> bool | None:
    """EAL from Y/N or from a first language (English -> False, another language -> True)."""
    s = norm(text)
    if not s or s in _LANGUAGE_UNKNOWN:
        return None
    if s in _YES or s in _NO:
        return parse_yes_no(text)
    return not (s in _ENGLISH or s.startswith("english"))  # another first language: EAL


LANGUAGE_CODES = Path(__file__).resolve().parents[1] / "reference" / "language_codes.csv"
# Not a language a letter can be written in: the census's "other than English (believed to be)",
# "other language" and "classification pending" (OTH, OTB, OTL, ZZZ), in codes and in words.
_LANGUAGE_OTHER = {
    "oth",
    "otb",
    "otl",
    "zzz",
    "other",
    "otherlanguage",
    "otherthanenglish",
    "otherthanenglishbelievedtobe",
    "believedtobeotherthanenglish",
    "classificationpending",
}
_NOT_A_VARIETY = {"any", "anyother"}  # "Arabic (Any Other)": no other name for the language


@cache
def _language_names() -> dict[str, str]:
    """norm(code or name) -> the name letters use, from ``data/reference/language_codes.csv`` (the DfE list).

    An extended code (4 letters: ``PNJM`` Panjabi (Mirpuri)) and its name stand for its main code's
    language (``PNJ`` Panjabi): letters are written in the main language. Each part of a name
    ("Albanian/Shqip", "Panjabi (Mirpuri)": albanian, shqip, mirpuri) is a name too where it names one
    language only; full names and codes win over parts.
    """
    with LANGUAGE_CODES.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    main = {r["code"]: r["name"] for r in rows if len(r["code"]) == 3}
    target = {r["code"]: main.get(r["code"][:3], r["name"]) for r in rows}
    parts: dict[str, set[str]] = {}
    for r in rows:
        base, _, variety = r["name"].partition("(")
        words = base.split("/") + ([] if len(r["code"]) == 3 else variety.rstrip(")").split("/"))
        for word in {norm(w) for w in words} - _NOT_A_VARIETY - {""}:
            parts.setdefault(word, set()).add(target[r["code"]])
    names = {word: next(iter(t)) for word, t in parts.items() if len(t) == 1}
    names |= {norm(r["name"]): target[r["code"]] for r in rows}
    return names | {norm(code): name for code, name in target.items()}


def parse_language(text) -> str | None:
    """The family's language as a name: census codes ('POL', 'PNJM') and words ('polish') -> 'Polish'.

    None for a blank, unknown, refused or "other" language and for a yes/no (an EAL flag).
    A language the code list does not hold is kept as the file gives it.
    """
    raw = str(text or "").strip()
    s = norm(raw)
    if not s or s in _LANGUAGE_UNKNOWN or s in _LANGUAGE_OTHER or s in _YES or s in _NO:
        return None
    if s in _ENGLISH or s.startswith("english"):
        return "English"
    names = _language_names()
    s = s.removesuffix("believedtobe")  # the census's "Polish (believed to be)": letters go in Polish
    if s in names:
        return names[s]
    if len(s) == 4 and raw.isalpha() and raw.isupper() and s[:3] in names:
        return names[s[:3]]  # an extended code the list does not hold: the main code and a letter
    base = norm(raw.partition("(")[0])  # "Akan (Twi)": a variety the list does not name
    if base != s and base in names:
        return names[base]
    return raw


def parse_gender(text) -> str | None:
    s = norm(text)
    if not s:
        return None
    return {"m": "M", "male": "M", "boy": "M", "f": "F", "female": "F", "girl": "F"}.get(s, str(text).strip().upper())


def parse_mark(text) -> str | None:
    """Trimmed and upper-cased; blank, '-' or '.' is a missing mark (None)."""
    s = str(text or "").strip().upper()
    return None if s in ("", "-", ".") else s


def parse_period_number(text) -> int | None:
    """The ordinal of a period label: the last group of digits (1, P1, Mon:1, Period 5)."""
    m = re.search(r"(\d+)\D*$", str(text or ""))
    return int(m[1]) if m else None


def is_formula(text) -> bool:
    """A cell a spreadsheet would evaluate (CSV injection): starts with = + or @."""
    return bool(text) and str(text).lstrip()[:1] in ("=", "+", "@")


# The check letter of a UPN (DfE "Unique pupil numbers" guidance): letters stand for 0-22.
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn_check_letter_ok(upn: str) -> bool | None:
    """Whether a 13-character UPN's first letter is its check letter; None when it is not UPN-shaped.

    Positions 2-13 are weighted 2..13; a temporary UPN's last character is a letter,
    counted by its place in the same 23-letter alphabet.
    """
    s = str(upn or "").strip().upper()
    if not re.fullmatch(r"[A-Z]\d{11}[0-9A-Z]", s):
        return None
    total = 0
    for weight, ch in enumerate(s[1:], start=2):
        if ch.isdigit():
            total += int(ch) * weight
        elif ch in _UPN_LETTERS:
            total += _UPN_LETTERS.index(ch) * weight
        else:
            return False
    return _UPN_LETTERS[total % 23] == s[0]
