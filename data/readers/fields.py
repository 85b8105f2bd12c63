"""The fields an import can hold and the names real exports give them.

Every header is compared after ``norm()``: lower case, letters and digits only, so
``Mark date``, ``MARK_DATE`` and ``markDate`` are one name. The names come from
SIMS (screen exports and reports), Arbor, Bromcom, the DfE school census, and the
data aggregators (Assembly, Wonde) that schools download from.
"""

from __future__ import annotations

import re

# field -> names, most usual first. Add a name here, never a special case elsewhere.
ALIASES: dict[str, tuple[str, ...]] = {
    # identifiers: the UPN is the key; the others are linked to it (marks may use any)
    "upn": ("UPN", "Pupil UPN", "Student UPN", "Unique Pupil Number", "UPN Number", "Learner UPN"),
    "admission_number": ("Adno", "Admission No", "Admission Number", "Adm No", "Admission Num", "AdNo."),
    "mis_id": ("MIS ID", "SIMS ID", "Arbor ID", "Bromcom ID", "Person ID", "External ID", "MIS Student ID"),
    "pupil_id": ("Student ID", "Pupil ID", "Learner ID", "Student Number", "Pupil Number", "Student Ref"),
    "record_id": ("ID",),
    # marks
    "date": (
        "Date",
        "Session Date",
        "Lesson Date",
        "Attendance Date",
        "Mark Date",
        "Register Date",
        "CalendarStartDate",
        "Calendar Date",
        "Date of Session",
    ),
    "session": ("Session", "AM/PM", "Session Name", "AM PM", "PeriodDisplayName"),
    "mark": (
        "Mark",
        "Code",
        "Attendance Mark",
        "Attendance Code",
        "Session Mark",
        "Lesson Mark",
        "Mark Code",
        "Register Mark",
        "Attendance Mark Code",
        "AttendanceCodeName",
    ),
    "period": ("Period", "Lesson", "Period Name", "Lesson Period"),
    "subject": ("Subject", "Subject Name"),
    "class": ("Class", "Class Name", "Teaching Group"),
    "minutes_late": ("Minutes Late", "Mins Late", "Late Minutes", "Late Mins", "Minutes"),
    "recorded_by": ("Taken by", "Recorded by", "Register taken by", "Staff", "Teacher", "Taken by staff"),
    # pupils and their enrolment
    "surname": ("Legal Surname", "Surname", "Last Name", "Family Name", "Preferred Surname"),
    "forename": ("Legal Forename", "Forename", "First Name", "Given Name", "Preferred Forename"),
    "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "BirthDate"),
    "year_group": (
        "Year",
        "Year Group",
        "NC Year",
        "Curriculum Year",
        "Yr",
        "Year Taught In",
        "NCyearActual",
        "NC Year Actual",
        "Year Code",
        "National Curriculum Year",
    ),
    "form": (
        "Reg",
        "Reg Group",
        "Registration Group",
        "Form",
        "Form Group",
        "Tutor Group",
        "Reg Form",
        "TutorGroupName",
        "Tutor Group Name",
        "Registration Form",
    ),
    "gender": ("Gender", "Sex"),
    "ethnicity": ("Ethnicity", "Ethnic Code", "Ethnic Group", "Ethnic Origin", "Ethnicity Code"),
    "fsm": (
        "FSM",
        "FSM Eligible",
        "FSM Eligibility",
        "Free School Meals",
        "Eligible for FSM",
        "Is FSM",
        "FSM Flag",
    ),
    "sen": (
        "SEN",
        "SEN Status",
        "SEN Provision",
        "SEND",
        "SEND Status",
        "SEN Stage",
        "SEN Category",
        "SEN Need",
    ),
    "eal": ("EAL", "Is EAL", "EAL Flag", "EAL Status", "EAL Indicator"),
    # the family's language (letters home in it); without an EAL column it gives EAL too (layout.py)
    "language": (
        "First Language",
        "Home Language",
        "Language",
        "Main Language",
        "First Language Code",
        "Home Language Code",
        "Language Code",
        "Language Spoken at Home",
        "Main Language Spoken at Home",
        "Preferred Language",
        "Home Language Description",
        "First Language Description",
    ),
    "cin": ("CiN", "Child in Need", "Is CiN", "CiN Flag"),
    "lac": (
        "LAC",
        "Looked After",
        "In Care",
        "CLA",
        "Looked After Child",
        "Child Looked After",
        "In Care Flag",
        "Is LAC",
        "Is Looked After",
        "LAC Flag",
        "In LA Care",
        "Child in Care",
    ),
    "admission_date": ("Admission Date", "Date of Admission", "Entry Date", "Date of Entry", "Enrolment Date"),
    "leaving_date": ("Leaving Date", "Date of Leaving", "Leave Date", "Date Left", "Left Date", "Enrolment End Date"),
    "academic_year": ("Academic Year",),
    # term dates
    "term": ("Term", "Term Name"),
    "half_term": ("Half Term", "Half", "Half-Term Number"),
    "name": ("Name", "Description"),
    "start_date": ("Start Date", "Start", "From", "Date From", "First Day"),
    "end_date": ("End Date", "End", "To", "Date To", "Last Day"),
    # the intervention log
    "type": ("Type", "Intervention", "Intervention Type", "Action", "Action Type"),
    "owner": ("Owner", "Assigned To", "Responsible", "Lead", "Key Worker"),
    "status": ("Status", "Intervention Status"),
    "notes": ("Notes", "Note", "Comments", "Comment", "Details"),
    "review_date": ("Review Date", "Review", "Next Review", "Next Review Date", "Review By"),
}

# Names that yield to another name for the same field in the same file (a SIMS list often has
# both Legal and Preferred Surname): the first is used, and that is no guess.
SECONDARY: frozenset[str] = frozenset(
    {
        "preferredsurname",
        "preferredforename",
        # beside a home language, the child's first language is not the family's (letters go to the family)
        "firstlanguage",
        "firstlanguagecode",
        "firstlanguagedescription",
        "minutes",
        "start",
        "end",
        "description",
        "half",
    }
)

LABELS: dict[str, str] = {
    "upn": "UPN (or Adno, MIS ID, Student ID)",
    "admission_number": "Admission number (Adno)",
    "mis_id": "MIS ID",
    "pupil_id": "Student ID",
    "record_id": "ID",
    "date": "Date (or Session Date, Mark Date)",
    "session": "Session (AM/PM)",
    "mark": "Mark (or Code, Attendance Mark)",
    "period": "Period (or Lesson)",
    "subject": "Subject",
    "class": "Class",
    "minutes_late": "Minutes Late",
    "recorded_by": "Taken by",
    "surname": "Surname",
    "forename": "Forename",
    "date_of_birth": "Date of Birth",
    "year_group": "Year Group",
    "form": "Reg Group (or Form, Tutor Group)",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "fsm": "FSM",
    "sen": "SEN Provision",
    "eal": "EAL (or First Language)",
    "language": "First Language (or Home Language)",
    "cin": "CiN",
    "lac": "LAC (or Looked After)",
    "admission_date": "Admission Date",
    "leaving_date": "Leaving Date",
    "academic_year": "Academic Year",
    "term": "Term",
    "half_term": "Half Term",
    "name": "Name (e.g. Autumn 1)",
    "start_date": "Start Date",
    "end_date": "End Date",
    "type": "Type (of intervention)",
    "owner": "Owner",
    "status": "Status (open or closed)",
    "notes": "Notes",
    "review_date": "Review date",
}

# The identifiers a file may give, in the order one is chosen to key a marks file.
ID_FIELDS = ("upn", "pupil_id", "mis_id", "admission_number", "record_id")

PUPIL_FIELDS = (
    "surname",
    "forename",
    "date_of_birth",
    "year_group",
    "form",
    "gender",
    "ethnicity",
    "fsm",
    "sen",
    "eal",
    "language",
    "cin",
    "lac",
    "admission_date",
    "leaving_date",
    "academic_year",
)

# "upn" in REQUIRED stands for any identifier (ID_FIELDS).
REQUIRED: dict[str, tuple[str, ...]] = {
    "sessions": ("upn", "date", "session", "mark"),
    "lessons": ("upn", "date", "period", "mark"),
    "pupils": ("upn", "year_group"),
    "calendar": ("term", "half_term", "start_date", "end_date"),
    "interventions": ("upn", "date", "type"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "sessions": ("recorded_by",),
    "lessons": ("session", "subject", "class", "minutes_late"),
    "pupils": tuple(f for f in PUPIL_FIELDS if f != "year_group"),
    "calendar": ("name",),
    "interventions": ("owner", "status", "notes", "review_date"),
}
KINDS = tuple(REQUIRED)


def norm(text) -> str:
    """A header or value compared loosely: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


_ALIAS_INDEX: dict[str, str] = {}
for _field, _names in ALIASES.items():
    for _name in _names:
        _ALIAS_INDEX.setdefault(norm(_name), _field)


def field_of(header: str) -> str | None:
    """The field a column header stands for, or None."""
    return _ALIAS_INDEX.get(norm(header))


def is_secondary(header: str) -> bool:
    return norm(header) in SECONDARY
