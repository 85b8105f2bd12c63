"""Letters home: the pupil's own figures in parent terms, in a real PDF and a real Word file, nothing of anyone else."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import date

import docx
import pytest

from analytics.filters import Filter
from data import interventions, letter_templates
from data.scope import Scope
from ui import letters
from ui.letters import wording

TODAY = date(2025, 9, 20)


@pytest.fixture
def school(register):
    # Amira: 2 weeks, 4 sessions off (2 days) -> 80.0%; Ben: 1 session off -> 95.0%.
    register.pupil("A1", year_group=9, form="9P", forename="Amira", surname="Patel")
    register.marks("A1", "2025-09-01", "/ / I I / / / / / / / / N N / / / / / /")
    register.lessons("A1", "2025-09-02", [("1", "Maths", "I"), ("2", "English", "I"), ("3", "Science", "/")])
    register.pupil("B2", year_group=10, form="10K", forename="Ben", surname="Okafor")
    register.marks("B2", "2025-09-01", "/ / / / / / / / / N / / / / / / / / / /")
    return register


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def _make(con, upns, kind="first_concern", fmt="pdf", scope=None, **kw):
    return letters.make_letters(
        con, Filter(academic_year=2025, scope=scope or Scope()), upns, kind, fmt, "lead@school", today=TODAY, **kw
    )


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [("first_concern", "pdf"), ("meeting", "docx"), ("contract", "pdf"), ("notice_to_improve", "docx")],
)
def test_a_letter_carries_the_pupils_own_figures_and_nobody_elses(con, school, tmp_path, fmt, kind):
    made = _make(con, ["A1"], kind=kind, fmt=fmt, meeting_date="Tuesday 30 September at 3.30pm")
    text = _pdf_text(made.data, tmp_path) if fmt == "pdf" else _docx_text(made.data)
    flat = " ".join(text.split())
    assert made.file_name == f"{kind.replace('_', '-')}-A1.{fmt}"
    assert "Amira" in flat and "80.0%" in flat and "2 school days" in flat
    if kind != "contract":
        assert "Tuesday 30 September at 3.30pm" in flat or kind == "first_concern"
    for other in ("Ben", "Okafor", "B2", "95.0%", "10K"):
        assert other not in flat


def test_first_concern_speaks_in_days_lessons_rule_of_three_and_the_national_figure(con, school, tmp_path):
    flat = " ".join(_pdf_text(_make(con, ["A1"]).data, tmp_path).split())
    assert "That is 2 lessons" in flat
    assert "Three days off in a half-term already brings attendance down to 90%" in flat
    assert "Across England, pupils attend" in flat and "secondary" not in flat.lower().split("england")[0]
    assert "20 September 2025" in flat  # the letter's date


def test_a_list_makes_one_pdf_or_a_zip_and_each_letter_is_logged(con, school, tmp_path):
    combined = _make(con, ["A1", "B2"])
    text = _pdf_text(combined.data, tmp_path)
    assert combined.letters == 2 and "Amira" in text and "Ben" in text and text.count("\f") >= 2
    zipped = _make(con, ["A1", "B2"], fmt="docx")
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as z:
        names = sorted(z.namelist())
        assert names == ["first-concern-A1.docx", "first-concern-B2.docx"]
        assert "Ben" not in _docx_text(z.read("first-concern-A1.docx"))
    log = interventions.entries(con, Scope())
    assert len(log) == 4 and set(log["type"]) == {"Letter"} and set(log["source"]) == {"letter"}
    assert set(log["notes"]) == {"First letter of concern"}


def test_pastoral_staff_cannot_write_to_pupils_outside_their_year(con, school):
    with pytest.raises(interventions.LogDenied):
        _make(con, ["B2"], scope=Scope(year_groups=(9,)))
    assert interventions.entries(con, Scope()).empty


def test_the_schools_own_wording_is_used_and_bad_placeholders_are_refused(con, school, tmp_path):
    letter_templates.save(
        con, "lead@school", "T1", "first_concern", "About {forename}", "{forename} missed {days_missed}."
    )
    flat = " ".join(_pdf_text(_make(con, ["A1"]).data, tmp_path).split())
    assert "About Amira" in flat and "Amira missed 2 school days." in flat
    with pytest.raises(wording.TemplateError, match=r"unknown placeholder.*classmates"):
        wording.check_template("Hi", "{forename} and {classmates}")
