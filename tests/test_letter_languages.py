"""Letters home in the family's language, with the pupil's road to the end of the year.

The register is the projection's golden one (``tests/test_projection.py``: calendar with
holidays, a pupil who joined late, one who leaves at Christmas), so the road's figures in
each letter are the hand-checked ones there. Families' languages, as a pupils file gives them:
A Polish, B Urdu, C none, D English, E Polish. The school keeps a Polish "First letter of
concern" and nothing else in Polish; nothing in Urdu.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import date

import docx
import pytest

from analytics import letter_figures
from data import admin, db, importer, letter_templates
from data.scope import Scope
from tests.test_importer import write_csv
from tests.test_projection import F, golden
from ui import letters
from ui.letters import wording

TODAY = date(2025, 11, 20)
LANGUAGES = {"A": "Polish", "B": "Urdu", "C": None, "D": "English", "E": "Polish"}
POLISH = (
    "Frekwencja: {forename}",
    "Frekwencja {forename} w tym roku: {attendance}. Do {as_of}: {days_missed_number} dni.",
)
POLISH_FRAME = {"salutation": "Szanowni Państwo,", "signoff": "Z poważaniem,", "signature": "Zespół ds. frekwencji"}


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """The golden register with the families' languages (built once; each test resets the templates)."""
    con = db.connect(tmp_path_factory.mktemp("letters") / "golden.duckdb")
    golden(con)
    for upn, language in LANGUAGES.items():
        con.execute("UPDATE pupils SET language = ? WHERE upn = ?", [language, upn])
    yield con
    con.close()


@pytest.fixture
def con(school):
    school.execute("DELETE FROM letter_templates")
    letter_templates.save(school, "lead@school", "T1", "first_concern", *POLISH, language="Polish", **POLISH_FRAME)
    return school


def _make(con, upns, kind="first_concern", fmt="pdf", **kw):
    return letters.make_letters(con, F, upns, kind, fmt, "lead@school", today=TODAY, **kw)


def _pdf_pages(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "letters.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def _docx_text(data: bytes) -> str:
    return " ".join(" ".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs).split())


# ---------------------------------------------------------------- the family's language


@pytest.mark.parametrize(
    ("kind", "upn", "fmt", "language", "no_template", "note"),
    [
        ("first_concern", "A", "pdf", "Polish", (), "1 letter in Polish"),
        ("first_concern", "A", "docx", "Polish", (), "1 letter in Polish"),
        ("first_concern", "B", "pdf", "English", (("Urdu", 1),), "1 letter in English: no Urdu template"),
        ("first_concern", "C", "docx", "English", (), ""),  # no language in the pupils file
        ("first_concern", "D", "pdf", "English", (), ""),
        ("meeting", "A", "docx", "English", (("Polish", 1),), "1 letter in English: no Polish template"),
    ],
)
def test_each_letter_is_in_the_familys_language_where_the_school_keeps_it(
    con, tmp_path, kind, upn, fmt, language, no_template, note
):
    made = _make(con, [upn], kind=kind, fmt=fmt)
    text = _pdf_pages(made.data, tmp_path)[0] if fmt == "pdf" else _docx_text(made.data)
    assert made.languages == ((language, 1),) and made.no_template == no_template
    polish = language == "Polish"
    assert ("Szanowni Państwo," in text and "Z poważaniem," in text and "Zespół ds. frekwencji" in text) is polish
    assert (f"Frekwencja Pupil{upn} w tym roku" in text and "Do 14/11/2025" in text and "20/11/2025" in text) is polish
    assert (
        "Dear parent or carer of" in text and "Yours sincerely," in text and "20 November 2025" in text
    ) is not polish
    assert f"Pupil{upn}" in text
    assert letters.language_note(made).startswith(note) if note else letters.language_note(made) == ""


def test_a_list_is_split_across_languages_and_each_letter_holds_one_pupil(con, tmp_path):
    made = _make(con, ["A", "B", "C", "D", "E"])
    assert made.letters == 5
    assert made.languages == (("English", 3), ("Polish", 2)) and made.no_template == (("Urdu", 1),)
    assert (
        letters.language_note(made)
        == "2 letters in Polish, 3 in English: no Urdu template for 'First letter of concern'"
    )
    pages = _pdf_pages(made.data, tmp_path)
    assert len(pages) == 5
    for upn, page in zip("ABCDE", pages, strict=True):
        assert f"Pupil{upn}" in page
        assert ("Szanowni Państwo" in page) is (LANGUAGES[upn] == "Polish")
        for other in set("ABCDEFGHL") - {upn}:
            assert f"Pupil{other}" not in page and f"Surname{other}" not in page
    with zipfile.ZipFile(io.BytesIO(_make(con, ["A", "B"], fmt="docx").data)) as z:
        a, b = (_docx_text(z.read(f"first-concern-{u}.docx")) for u in "AB")
    assert "Frekwencja PupilA" in a and "PupilB" not in a and "Frekwencja" not in b and "PupilA" not in b


@pytest.mark.parametrize("spelt", ["Polish", "polish", "POL", " Polish "])
def test_a_template_matches_the_familys_language_however_it_was_spelt(con, spelt):
    con.execute("DELETE FROM letter_templates")
    letter_templates.save(con, "lead@school", "T1", "first_concern", *POLISH, language=spelt)
    assert letter_templates.languages(con, "T1") == ["English", "Polish"]
    assert letters.template_for(con, "T1", "first_concern", "Polish")["language"] == "Polish"
    assert letters.template_for(con, "T1", "first_concern", "Urdu")["language"] == "English"


def test_the_editor_offers_the_families_languages(con):
    assert letter_templates.family_languages(con, "T1") == [("Polish", 2), ("Urdu", 1)]


@pytest.mark.parametrize(
    ("texts", "english"),
    [
        (POLISH, []),
        (("{forename}", "{days_missed} {can_miss}", "{road}"), ["days_missed", "road", "can_miss"]),
        (
            wording.DEFAULTS["first_concern"],
            ["days_missed", "lessons_missed", "rule_of_three", "days_left", "national", "can_miss", "at_this_rate"],
        ),
    ],
)
def test_placeholders_that_give_english_words_are_named(texts, english):
    assert wording.english_placeholders(*texts) == english


# ---------------------------------------------------------------- the road in parent terms

# Hand-checked in tests/test_projection.py: days left, days to spare, best reachable, at the rate since half-term.
ROAD = [
    ("A", 145, 14.5, "97.9%", "90.3%", "2.5", "PupilA can miss 14½ more days this year and still end above 90%."),
    ("B", 145, 0.0, "88.4%", "73.2%", "1.5", "Even attending every remaining day, PupilB cannot now end the year"),
    ("C", 145, 13.5, "99.0%", "85.0%", "2", "PupilC can miss 13½ more days this year and still end above 90%."),
    ("L", 25, 6.5, "100.0%", "100.0%", "3.5", "PupilL can miss 6½ more days this year and still end above 90%."),
]


@pytest.mark.parametrize(("upn", "days_left", "spare", "best", "at_rate", "half_term", "sentence"), ROAD)
def test_the_road_figures_of_a_letter(con, upn, days_left, spare, best, at_rate, half_term, sentence):
    figures = letter_figures.letter_figures(con, F, upn)
    assert figures["language"] == LANGUAGES[upn] if upn in LANGUAGES else figures["language"] is None
    values = wording.fields(figures, today=TODAY)
    assert (figures["days_left"], figures["can_miss_days"]) == (days_left, spare)
    assert (values["best_attendance"], values["projected_attendance"]) == (best, at_rate)
    assert values["can_miss_days"] == f"{spare:g}" and values["days_left_number"] == f"{days_left:g}"
    assert values["can_miss"].startswith(sentence)
    assert values["half_term_days_left"] == half_term  # the Rule of 3 left this half-term (to 19 December)
    assert values["half_term_left"].startswith(f"This half-term (to 19 December) Pupil{upn} can miss")
    assert values["half_term_left"] in values["rule_of_three"]
    assert values["at_this_rate"].startswith(
        f"At her rate since half-term (3 November) she will end the year on {at_rate}"
    )


@pytest.mark.parametrize(
    ("kind", "upn", "expected"),
    [
        ("first_concern", "C", "PupilC can miss 13½ more days this year and still end above 90%."),
        ("meeting", "B", "the best she can reach is 88.4%"),
        ("contract", "D", "If she attends every remaining day, she will end the year on 92.1%."),
        (
            "notice_to_improve",
            "A",
            "she will end the year on 90.3% and reach the penalty-notice threshold around 23 January",
        ),
    ],
)
def test_the_built_in_letters_carry_the_road(con, tmp_path, kind, upn, expected):
    con.execute("DELETE FROM letter_templates")
    made = _make(con, [upn], kind=kind, fmt="docx")
    assert expected in _docx_text(made.data)


# ---------------------------------------------------------------- the pupils file


@pytest.mark.parametrize(
    "header", ["First Language", "Home Language", "FirstLanguage", "first_language", "home_language", "Main Language"]
)
def test_a_pupils_files_language_column_is_stored_as_names(tmp_path, header):
    with db.connection(tmp_path / "import.duckdb") as con:
        pupils = write_csv(
            tmp_path / "pupils.csv",
            [
                f"UPN,Surname,Forename,Year,{header}",
                "A100000000001,One,Ann,9,ENG",
                "A100000000002,Two,Bea,9,POL",
                "A100000000003,Three,Cy,9,",  # empty: no language, and no EAL either
                "A100000000004,Four,Di,9,Urdu",
                "A100000000005,Five,Ed,9,NOT",  # census: information not obtained
            ],
        )
        result = importer.import_files(con, [pupils], year=2025)
        assert result.ok, result.summary()
        stored = con.execute(
            "SELECT p.forename, p.language, e.eal FROM pupils p JOIN enrolments e USING (school_id, upn) ORDER BY upn"
        ).fetchall()
        assert stored == [
            ("Ann", "English", False),
            ("Bea", "Polish", True),
            ("Cy", None, None),
            ("Di", "Urdu", True),
            ("Ed", None, None),
        ]
        school = con.execute("SELECT school_id FROM pupils LIMIT 1").fetchone()[0]
        admin.delete_pupil(con, "A100000000002", school_id=school)
        assert con.execute("SELECT count(*) FROM pupils WHERE language = 'Polish'").fetchone()[0] == 0


def test_an_older_file_gains_the_language_column(tmp_path):
    path = tmp_path / "old.duckdb"
    with db.connection(path) as con:
        con.execute("ALTER TABLE pupils DROP COLUMN language")
        con.execute("DELETE FROM settings WHERE key = 'schema_sha256'")
    with db.connection(path) as con:
        columns = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE pupils)").fetchall()}
    assert "language" in columns


def test_pastoral_scope_still_applies(con):
    from data import interventions

    with pytest.raises(interventions.LogDenied):
        letters.make_letters(con, F.replace(scope=Scope(year_groups=(7,))), ["A"], "first_concern", "pdf", "x")
