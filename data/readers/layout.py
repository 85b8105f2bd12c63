"""Recognising what a file holds from its header row: its kind and which column is which field.

Never a silent guess: two columns that could be the same field, or a grid
whose dates cannot be read, make the layout unrecognised with a message that
names both columns, and the Import page offers the column mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from data.readers.fields import (
    ALIASES,
    ID_FIELDS,
    LABELS,
    OPTIONAL,
    PUPIL_FIELDS,
    REQUIRED,
    field_of,
    is_secondary,
    norm,
)
from data.readers.values import SESSION_WORDS, BadValue, parse_date, parse_session, strip_weekday

_DATED = re.compile(r"^\s*(?:[A-Za-z]{3,9}\.?,?\s+)?\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b|^\d{4}-\d{2}-\d{2}")
_WIDE = re.compile(r"^(.*?\S)\s*[-_:]?\s*\b(am|pm|a|p|morning|afternoon)\s*$", re.IGNORECASE)


def wide_column(header) -> tuple[str, str] | None:
    """('02/09/2025', 'AM') for a wide register header such as 'Mon 02/09/2025 am' or '45908 PM'."""
    m = _WIDE.match(str(header or "").strip())
    if not m:
        return None
    text = strip_weekday(m[1])
    try:
        if parse_date(text) is None:
            return None
    except BadValue:
        return None
    return text, parse_session(m[2])


def score(headers: list) -> int:
    """How much a row looks like a header: distinct fields it names, plus 3 for a register grid."""
    fields = {field_of(h) for h in headers if h} - {None}
    wide = sum(1 for h in headers if h and wide_column(h))
    return len(fields) + (3 if wide >= 2 else 0)


@dataclass
class Layout:
    """What the importer makes of a file's header row."""

    kind: str | None  # sessions | lessons | pupils | calendar | interventions, or None when not importable
    columns: list[str]  # headers as found
    fields: dict[str, str]  # field -> header, recognised
    expected: list[str]  # fields the (likely) kind needs
    missing: list[str]  # of those, not found
    signature: str  # normalised headers, for remembering a hand mapping
    wide: bool = False  # one column per date and session
    wide_columns: list[str] = field(default_factory=list)
    guess: str | None = None  # the kind it most resembles when kind is None
    header_line: int = 1
    index: dict[str, int] = field(default_factory=dict)  # field -> column position
    wide_index: list[int] = field(default_factory=list)  # positions of the wide columns
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # field -> the columns that could be it
    problem: str | None = None  # why it cannot be read, when that is not a missing column
    sheet: str | None = None  # the workbook sheet it was read from, when there were several

    @property
    def id_field(self) -> str | None:
        """The identifier the file's rows are keyed by: the UPN when it has one."""
        return next((f for f in ID_FIELDS if f in self.fields), None)

    def ambiguous_columns(self) -> dict[str, list[tuple[str, int]]]:
        """field -> [(header, position)] of the columns that could each be it."""
        out = {}
        for f, headers in self.ambiguous.items():
            positions = [j for j, h in enumerate(self.columns) if h in headers]
            out[f] = [(self.columns[j], j) for j in positions]
        return out

    def message(self) -> str:
        """Why the file cannot be imported, for the data manager."""
        found = ", ".join(c for c in self.columns if c) or "(none)"
        if self.ambiguous:
            parts = [
                f"{LABELS[f]} could be " + " or ".join(f"'{h}' (column {j + 1})" for h, j in cols)
                for f, cols in self.ambiguous_columns().items()
            ]
            return (
                "two columns match one field, so the file could be read two ways: "
                + "; ".join(parts)
                + ". Choose the column to use in the column mapping, or remove the other"
            )
        if self.problem:
            return f"{self.problem}. Columns found: {found}"
        if self.guess:
            missing = "; ".join(LABELS[f] for f in self.missing)
            return (
                f"looks like a {self.guess} file but has no column for: {missing}. Columns found: {found}. "
                f"Expected: {', '.join(LABELS[f] for f in self.expected)}"
            )
        expected = "; ".join(
            f"{kind}: {', '.join(LABELS[f] for f in REQUIRED[kind])}" for kind in ("sessions", "lessons", "pupils")
        )
        return (
            f"layout not recognised. Columns found: {found}. Expected one of — {expected}; "
            "or a wide register with a UPN column and columns like '02/09/2025 AM'"
        )


def signature_of(headers: list[str]) -> str:
    return "|".join(norm(h) for h in headers)


def _matches(headers: list[str], mapping: dict[str, str]) -> dict[str, list[tuple[int, bool]]]:
    """field -> [(column position, secondary name)] for every header that names it."""
    out: dict[str, list[tuple[int, bool]]] = {}
    for j, h in enumerate(headers):
        key = f"#{j + 1}" if f"#{j + 1}" in mapping else h  # '#5': the 5th column (two columns share a name)
        if key in mapping:  # chosen by hand: a blank choice means "not used"
            f, secondary = mapping[key] or None, False
            if f not in ALIASES:
                continue
        else:
            f, secondary = field_of(h), is_secondary(h)
        if f:
            out.setdefault(f, []).append((j, secondary))
    return out


def recognise(headers: list[str], mapping: dict[str, str] | None = None, header_line: int = 1) -> Layout:
    """Match headers to fields; ``mapping`` ({header or '#position': field}, '' = not used) overrides the names."""
    headers = [str(h or "").strip() for h in headers]
    mapping = dict(mapping or {})
    matches = _matches(headers, mapping)
    wide_idx = [j for j, h in enumerate(headers) if h not in mapping and f"#{j + 1}" not in mapping and wide_column(h)]
    session_cells = sum(1 for h in headers if norm(h) in SESSION_WORDS)

    index: dict[str, int] = {}
    clashes: dict[str, list[int]] = {}
    for f, found in matches.items():
        primary = [j for j, secondary in found if not secondary] or [j for j, _ in found]
        index[f] = primary[0]
        if len(primary) > 1:
            clashes[f] = primary

    def rename(old: str, new: str) -> None:
        if old in index and new not in index:
            index[new] = index.pop(old)
            if old in clashes:
                clashes[new] = clashes.pop(old)

    has = index.__contains__
    has_id = any(has(f) for f in ID_FIELDS)
    if has("class") and not has("form") and not has("period"):
        rename("class", "form")  # a primary school's class is its registration group
    if has("name") and not has("term"):
        index["term"] = index["name"]  # "Autumn 1": term and half-term in one column
    if has("term") and not has("half_term"):
        index["half_term"] = index["term"]
    pupil_like = has_id and any(has(f) for f in PUPIL_FIELDS)
    if pupil_like and not has("mark") and not wide_idx:
        rename("start_date", "admission_date")  # Assembly / Wonde enrolment dates
        rename("end_date", "leaving_date")
    if has("language") and not has("eal"):
        # EAL is the child's first language (DfE): that column where the file has one beside a home language.
        first = [j for j, _ in matches["language"] if norm(headers[j]).startswith("firstlanguage")]
        index["eal"] = first[0] if first else index["language"]
    if has("type") and not has("owner"):
        rename("recorded_by", "owner")  # an intervention log's "Staff" is its owner

    def layout(kind, guess=None, wide=False, problem=None):
        k = kind or guess
        expected = list(REQUIRED[k]) if k else []
        if k == "sessions" and wide:
            expected = ["upn"]
        missing = [f for f in expected if not (has_id if f == "upn" else has(f))]
        used = set(REQUIRED.get(k, ())) | set(OPTIONAL.get(k, ())) | (set(ID_FIELDS) if k else set())
        ambiguous = {f: [headers[j] for j in js] for f, js in clashes.items() if f in used}
        if k == "sessions" and wide:
            ambiguous = {f: hs for f, hs in ambiguous.items() if f in ID_FIELDS}
        if ambiguous and kind:
            kind, guess = None, kind
        kept = {f: j for f, j in index.items() if not k or f in used}
        return Layout(
            kind,
            list(headers),
            {f: headers[j] for f, j in kept.items()},
            expected,
            missing,
            signature_of(headers),
            wide=wide,
            wide_columns=[headers[j] for j in wide_idx] if wide else [],
            guess=guess,
            header_line=header_line,
            index=kept,
            wide_index=wide_idx if wide else [],
            ambiguous=ambiguous,
            problem=problem,
        )

    if has("start_date") and has("end_date") and has("term") and not has_id:
        return layout("calendar")
    if len(wide_idx) >= 1 and not has("mark"):
        return layout("sessions", wide=True) if has_id else layout(None, "sessions", wide=True)
    dated = sum(1 for j, h in enumerate(headers) if j not in wide_idx and _DATED.search(h))
    if dated >= 2 and not has("mark") and not wide_idx:
        # One column per day (dates without AM/PM, or without a year): a grid, never a pupils list.
        return layout(
            None,
            "sessions",
            problem="looks like a register grid (one column per date) but without a full date and AM or PM for "
            "each column: export the register by session, with columns like '08/09/2025 AM'",
        )
    if session_cells >= 2 and not has("mark"):
        # AM / PM columns whose dates could not be read: a register grid, never a pupils list.
        return layout(
            None,
            "sessions",
            problem="looks like a register grid (several AM/PM columns) but the dates above them could not be "
            "read: give each column a date, e.g. '08/09/2025 AM'",
        )
    if has_id and has("date") and has("type") and not has("mark"):
        return layout("interventions")
    if has("mark") or has("period") or (has("date") and has("session")):
        kind = "lessons" if has("period") else "sessions"
        required = [f for f in REQUIRED[kind] if f != "upn"]
        return layout(kind) if has_id and all(has(f) for f in required) else layout(None, kind)
    pupil_fields = [f for f in PUPIL_FIELDS if has(f)]
    if has_id and pupil_fields:
        return layout("pupils")
    if len(pupil_fields) >= 2:
        return layout(None, "pupils")
    if has("start_date") or has("end_date"):
        return layout(None, "calendar")
    return layout(None)
