"""What an import reports: the problems found (file, line, column, value, why) or what was written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PROBLEMS_SHOWN = 20  # the summary lists this many, then a count
PROBLEMS_KEPT = 500  # per check and file: enough to fix a file, bounded for a 50 MB file of errors


@dataclass
class Problem:
    file: str | None
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file or "import"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.value not in (None, ""):
            where.append(f"value '{self.value}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class FileOutcome:
    name: str
    kind: str | None
    rows: int
    sha256: str
    replaced: int = 0  # existing rows this file replaced (re-imported marks, updated pupils)
    sheet: str | None = None  # the workbook sheet read, when the workbook had several
    skipped: dict[str, int] = field(default_factory=dict)  # rows that are not data, by why
    academic_year: str | None = None  # a pupils file's year, when the file did not say
    year_reason: str | None = None  # how that year was chosen

    def notes(self) -> list[str]:
        """What a data manager should know beyond the row count, as short phrases."""
        out = []
        if self.sheet:
            out.append(f"sheet '{self.sheet}'")
        if self.academic_year:
            out.append(f"taken as {self.academic_year} ({self.year_reason})")
        if self.skipped:
            out.append("skipped " + ", ".join(f"{n:,} {why}{'s' if n != 1 else ''}" for why, n in self.skipped.items()))
        if self.replaced:
            out.append(f"replaced {self.replaced:,}")
        return out


@dataclass
class ImportResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    problem_count: int = 0  # every problem found, including those not kept in ``problems``
    school_id: str | None = None
    usage_error: bool = False  # the request itself was wrong (file missing, several schools)

    def summary(self) -> str:
        if self.ok:
            lines = [f"Imported {len(self.files)} file(s) into school {self.school_id}:"]
            for f in self.files:
                extra = "".join(f"; {n}" for n in f.notes())
                lines.append(f"  {f.name}: {f.kind}, {f.rows:,} rows{extra}")
            return "\n".join(lines)
        total = max(self.problem_count, len(self.problems))
        lines = [f"Refused: nothing was imported. {total:,} problem(s):"]
        lines += [f"  {p}" for p in self.problems[:PROBLEMS_SHOWN]]
        if total > PROBLEMS_SHOWN:
            lines.append(f"  ... and {total - PROBLEMS_SHOWN:,} more")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "school_id": self.school_id,
            "files": [asdict(f) for f in self.files],
            "problem_count": max(self.problem_count, len(self.problems)),
            "problems": [asdict(p) for p in self.problems],
        }


class Problems:
    """The problems a batch has found so far, in files and lines."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count = 0
        self.usage = False

    def add(self, problem: Problem, usage: bool = False) -> None:
        self.items.append(problem)
        self.count += 1
        self.usage = self.usage or usage

    def query(self, con, file_name: str, sql: str, params: list, column: str | None, message) -> None:
        """Add a problem per row of ``sql`` (columns: line, value[, detail[, column]]); ``message`` text or fn(detail)."""
        rows = con.execute(
            f"SELECT *, count(*) OVER () AS n FROM ({sql}) ORDER BY line LIMIT {PROBLEMS_KEPT}", params
        ).fetchall()
        if not rows:
            return
        for row in rows:
            text = message(row[2]) if callable(message) else message
            where = row[3] if len(row) > 4 else column  # a fourth column names the file column per row
            self.items.append(Problem(file_name, int(row[0]), where, row[1], text))
        self.count += rows[0][-1]

    def of_file(self, name: str) -> list[Problem]:
        return sorted((p for p in self.items if p.file == name), key=lambda p: p.line or 0)

    def sorted(self, order: dict[str, int]) -> list[Problem]:
        return sorted(self.items, key=lambda p: (order.get(p.file, -1), p.line or 0))
