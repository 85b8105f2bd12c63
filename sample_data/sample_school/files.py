"""Which file each year is written in, and writing a school's files.

The formats vary from year to year on purpose, so the sample exercises the importer.
"""

from __future__ import annotations

from pathlib import Path

from sample_school import writers
from sample_school.generator import Generator
from sample_school.model import PRIMARY, SECONDARY

SAMPLE_DATA = Path(__file__).resolve().parent.parent  # the default output: sample_data/secondary or primary
INTERVENTION_YEARS = (2025, 2026)  # the log covers the last full year and the current one
INTERVENTION_FILE = "interventions.csv"
# (pupils style, sessions style, lesson marks?) for each year. Older wide registers are gzipped to keep the sample small.
SECONDARY_FILES = {
    2023: ("arbor", "wide-gz", False),
    2024: ("sims", "wide-gz", False),
    2025: ("sims", "long-sims", True),
    2026: ("sims", "wide", True),
}
PRIMARY_FILES = {
    2023: ("primary", "wide-gz", False),
    2024: ("primary", "wide-gz", False),
    2025: ("primary", "long-arbor", False),
    2026: ("primary", "wide", False),
}


def generate(primary: bool = False, out: Path | None = None) -> list[Path]:
    """Write the sample school's files into ``out`` and return their paths."""
    out = Path(out) if out else SAMPLE_DATA / ("primary" if primary else "secondary")
    gen = Generator(PRIMARY if primary else SECONDARY)
    by_year = gen.run()
    plan = PRIMARY_FILES if primary else SECONDARY_FILES
    written = []
    if not primary:  # the intervention log changes the registers it acted on, so it comes first
        log = [row for year in INTERVENTION_YEARS for row in gen.intervention_history(year)]
        written.append(writers.write_interventions(log, out, INTERVENTION_FILE))
    for year, (pupil_style, session_style, lessons) in plan.items():
        written.append(writers.write_pupils(year, by_year[year], out, pupil_style))
        if session_style.startswith("wide"):
            written.append(writers.write_sessions_wide(year, gen.marks[year], out, gzipped=session_style == "wide-gz"))
        else:
            written.append(writers.write_sessions_long(year, gen.marks[year], out, session_style.split("-")[1]))
        if lessons:
            written.append(writers.write_lessons(year, gen.lesson_rows(year), out))
    return [out / name for name in written]
