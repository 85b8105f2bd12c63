"""The packs are real documents: an A4 PDF and a Word file, opened here as a reader would open them.

Each pack is built once for this module (content, charts, PDF, Word) on the shared
sample school; the tests then read the files with poppler (pdfinfo, pdftotext,
pdfimages) and python-docx.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
from datetime import datetime
from types import SimpleNamespace

import docx
import pandas as pd
import pytest

from analytics import school
from analytics.filters import Filter
from data import db
from data.scope import Scope
from ui import packs
from ui.packs import content, images

GENERATED = datetime(2026, 2, 1, 9, 0)


def _latest_year_filter(con, scope: Scope | None = None) -> Filter:
    schools = school.schools(con, Filter())
    f = Filter(school_ids=(schools.iloc[0]["school_id"],), scope=scope or Scope())
    return f.replace(academic_year=school.academic_years(con, f)[0])


@pytest.fixture(scope="module")
def built(sample_db, tmp_path_factory):
    """Both packs, built once: their content (with charts) and their files on disk."""
    folder = tmp_path_factory.mktemp("packs")
    con = db.connect(sample_db, read_only=True)
    try:
        f = _latest_year_filter(con)  # an admin's filter: the governors' pack must still hold no pupil
        review = packs.with_charts(packs.review_pack(con, f, GENERATED), "svg")
        governors = packs.governors_pack(con, f, GENERATED)
        pupils = con.execute("SELECT upn, surname, forename FROM pupils").fetchall()
    finally:
        con.close()
    files = {}
    governors_png = packs.with_charts(governors, "png")  # Word takes pictures; the PDF vector charts
    governors = packs.with_charts(governors, "svg")
    for name, pack, fmt in (
        ("review", review, "pdf"),
        ("governors", governors, "pdf"),
        ("governors", governors_png, "docx"),
    ):
        path = folder / f"{name}.{fmt}"
        path.write_bytes(packs.render(pack, fmt))
        files[(name, fmt)] = path
    return SimpleNamespace(review=review, governors=governors, governors_png=governors_png, files=files, pupils=pupils)


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _docx_text(path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("name", ["review", "governors"])
def test_each_pdf_pack_is_a4(built, name):
    info = subprocess.run(["pdfinfo", str(built.files[(name, "pdf")])], capture_output=True, text=True, check=True)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout)
    assert int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1)) >= 5


@pytest.mark.parametrize("name", ["review", "governors"])
def test_the_pdf_holds_key_points_questions_and_every_sections_table(built, name):
    pack = getattr(built, name)
    text = _pdf_text(built.files[(name, "pdf")])
    flat = re.sub(r"\s+", " ", text)
    for part in ("Key points", "Questions the panel could ask", "Generated 01 February 2026", "Open Government"):
        assert part in flat
    assert pack.key_points.startswith("Attendance so far this year is ")
    assert pack.key_points[:60] in flat
    for section in pack.sections:
        assert section.title in flat
        assert section.table is not None and not section.table.empty
        first_heading = str(section.table.columns[0])
        assert first_heading.split()[0] in flat
    assert "not published" in flat  # the national severe absence rate, never "None"
    for never in ("None", "nan", "NaN", "-0.0"):
        assert not re.search(rf"(?<![\w.]){re.escape(never)}(?![\w])", text), never


@pytest.mark.parametrize("name", ["review", "governors"])
def test_each_section_starts_a_new_page(built, name):
    path = built.files[(name, "pdf")]
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    tops = [page.strip().splitlines()[0] for page in pages.split("\f") if page.strip()]
    assert tops[0] == getattr(built, name).title
    assert [s.title for s in getattr(built, name).sections] == [
        t for t in dict.fromkeys(tops[1:]) if t in {s.title for s in getattr(built, name).sections}
    ]


def test_review_pack_has_what_changed_and_holidays(built):
    titles = [s.title for s in built.review.sections]
    assert any(t.startswith("What changed most since") for t in titles)
    assert "Before and after holidays" in titles and "Form" in titles
    assert "Form" not in [s.title for s in built.governors.sections]
    # Is any week unusual? The Patterns page's control chart, its band and last year's weeks.
    control = next(s for s in built.review.sections if s.key == "control")
    assert control.title == "Unusual weeks" and control.figure is not None
    names = {t.name for t in control.figure.data}
    assert {"Ordinary week-to-week variation", "This year"} <= names
    assert set(control.table["Unusual"]) <= {"", "High", "Low"}
    assert control.table["Ordinary range %"].str.contains(" to ").all()


def _charted(pack, prefix: str) -> list[tuple[content.Section, bytes]]:
    """The sections whose key starts with ``prefix`` and that have a chart, with its image."""
    return [(s, i) for s, i in zip(pack.sections, pack.images, strict=True) if s.key.startswith(prefix) and i]


def _shown_rows(section) -> int:
    if section.key == "changes":
        return len(section.table)
    return int((section.table["Absence %"] != "—").sum())


@pytest.mark.parametrize(("name", "prefix"), [("review", "changes"), ("review", "group:"), ("governors", "group:")])
def test_the_charts_draw_a_whisker_per_bar_and_pale_bars_within_noise(built, name, prefix):
    """As on the Groups and Overview pages: a 95% whisker on every group's bar, pale where within noise."""
    pack = getattr(built, name)
    charted = _charted(pack, prefix)
    assert charted
    for section, image in charted:
        svg = image.decode()
        assert svg.count('class="xerror"') == _shown_rows(section), section.title
        noise = "Against noise" if section.key == "changes" else "Against the rest"
        within = (section.table[noise] == "Within noise").any()
        assert ("opacity: 0.35" in svg) == bool(within), section.title
    assert any(
        (s.table.get("Against the rest", s.table.get("Against noise")) == "Within noise").any() for s, _ in charted
    )


@pytest.mark.parametrize("name", ["review", "governors"])
def test_the_pdf_names_the_95_percent_interval_and_what_is_within_noise(built, name):
    flat = re.sub(r"\s+", " ", _pdf_text(built.files[(name, "pdf")]))
    assert "Whiskers: 95% interval, with pupils (not sessions) as the unit" in flat
    assert "pale bars are within what chance explains" in flat
    # The headline's changes too: since the last period and against last year, each with its interval, asked once.
    assert flat.count("Is the change real?") == 1 and flat.count("the change's 95% interval") == 2
    words = [w[-1] for w in _words(built.files[(name, "pdf")])]
    assert words.count("interval") >= len(_charted(getattr(built, name), "group:"))  # each table's heading
    assert "noise" in words and "chance" in words  # "Within noise", "Beyond chance" in the tables


def _ppm_pixels(data: bytes) -> set[tuple[int, int, int]]:
    """The colours of a binary PPM (pdftoppm's output)."""
    fields, rest = data.split(maxsplit=4)[:4], data.split(maxsplit=4)[4]
    assert fields[0] == b"P6" and fields[3] == b"255"
    return {tuple(rest[i : i + 3]) for i in range(0, len(rest) - 2, 3)}


def test_a_group_within_noise_prints_in_a_muted_colour(built):
    """Rendered from the PDF with poppler: the page of a group within noise holds its pale bar's colour."""
    path = built.files[("governors", "pdf")]
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    page = next(
        n for n, text in enumerate(pages.split("\f"), start=1) if "Within" in text and "Overall absence by" in text
    )
    ppm = subprocess.run(
        ["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), str(path)], capture_output=True, check=True
    ).stdout
    vermillion = (0xD5, 0x5E, 0x00)
    pale = tuple(round(0.35 * c + 0.65 * 255) for c in vermillion)
    colours = _ppm_pixels(ppm)
    assert any(all(abs(a - b) <= 4 for a, b in zip(c, pale, strict=True)) for c in colours)


def test_governors_tables_give_no_interval_for_a_hidden_figure(built):
    document = docx.Document(str(built.files[("governors", "docx")]))
    checked = 0
    for table in document.tables:
        headings = [c.text for c in table.rows[0].cells]
        if "95% interval" not in headings:
            continue
        rate, interval = headings.index("Absence %"), headings.index("95% interval")
        rows = [[c.text for c in row.cells] for row in table.rows[1:]]
        assert any(" to " in r[interval] for r in rows)
        for r in rows:
            assert (r[rate] == "—") == (r[interval] == "—"), r
        checked += 1
    assert checked == sum(s.key.startswith("group:") for s in built.governors.sections)


def _words(path) -> list[tuple[int, float, float, float, float, str]]:
    """Every word of a PDF with its page and box (points), as poppler reads the text layer."""
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    words = []
    for number, page in enumerate(xml.split("<page ")[1:], start=1):
        for m in re.finditer(pattern, page):
            words.append((number, *(float(v) for v in m.groups()[:4]), html.unescape(m.group(5))))
    return words


A4_WIDTH, MARGIN = 595.28, 15 / 25.4 * 72  # points: the page and its side margins (15 mm)


@pytest.mark.parametrize("name", ["review", "governors"])
def test_chart_labels_are_text_on_the_page_and_none_is_clipped(built, name):
    """Axis numbers, group names beside bars and the heatmap's days are words inside the printed area."""
    words = _words(built.files[(name, "pdf")])
    for page, x0, _, x1, _, text in words:
        assert x0 >= MARGIN - 1 and x1 <= A4_WIDTH - MARGIN + 1, f"{text!r} on page {page} runs off the text area"
    pages = {}
    for page, *_, text in words:
        pages.setdefault(page, []).append(text)
    text = {page: " ".join(ws) for page, ws in pages.items()}

    def chart(title: str) -> list[str]:  # the words of the page a chart (found by its title) is on
        return pages[next(p for p, t in text.items() if title in t)]

    assert {"25", "20", "15", "10", "5", "0"} <= set(chart("the school and national"))  # y axis, numbers whole
    days = set(chart("by day and session"))
    assert {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "AM", "PM"} <= days
    fsm = chart("Overall absence by FSM")
    assert fsm.count("Not") >= 2 and fsm.count("FSM") >= 4  # "Not FSM" and "FSM" beside the bars and in the table
    years = " ".join(chart("Overall absence by year group"))
    assert all(f"Year {y}" in years for y in (7, 8, 9, 10, 11))


def test_word_pictures_are_png_at_print_size(built):
    document = docx.Document(str(built.files[("governors", "docx")]))
    shapes = document.inline_shapes
    assert len(shapes) == sum(s.figure is not None for s in built.governors.sections) >= 6
    for shape in shapes:
        assert round(shape.width.cm, 1) == 17.0
        blob = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        image = document.part.related_parts[blob].blob
        assert image[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(image[16:20], "big") == images.WIDTH_PX * images.SCALE  # 1,800 px across 17 cm
    assert not built.governors_png.images_note


def test_the_governors_pack_holds_no_pupil_identifier(built):
    assert built.pupils
    for text in (_pdf_text(built.files[("governors", "pdf")]), _docx_text(built.files[("governors", "docx")])):
        words = set(re.findall(r"[A-Za-z][A-Za-z'-]*", text))
        for upn, surname, forename in built.pupils:
            assert upn not in text
            assert surname not in words, surname
            assert f"{forename} {surname}" not in text
        assert "UPN" not in text
    assert all(not s.key.startswith("pupil") for s in built.governors.sections)


def test_the_word_pack_has_headings_key_points_questions_tables_and_pictures(built):
    document = docx.Document(str(built.files[("governors", "docx")]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[:3] == ["Attendance: governors' pack", "Key points", "Questions the panel could ask"]
    assert [s.title for s in built.governors.sections] == headings[3:]
    paragraphs = [p.text for p in document.paragraphs]
    assert built.governors.key_points in paragraphs
    for question in built.governors.questions:
        assert question in paragraphs
    assert len(document.tables) == len(built.governors.sections)
    headline = document.tables[0]
    assert [c.text for c in headline.rows[0].cells][:2] == ["Measure", "This period"]
    assert headline.rows[-1].cells[0].text == "Severe absence"
    assert "not published" in [c.text for c in headline.rows[-1].cells]
    assert len(document.inline_shapes) == sum(s.figure is not None for s in built.governors.sections)
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert "None" not in _docx_text(built.files[("governors", "docx")]).split()


def test_governors_pack_is_built_under_a_governor_scope_whatever_the_caller():
    assert packs.governor_filter(Filter()).scope.pupil_level is False
    assert packs.governor_filter(Filter(scope=Scope(pupil_level=True))).scope.pupil_level is False


GROUP_ROWS = [
    # shown, with a national figure
    dict(label="FSM", suppressed=False, suppression_reason=None, national_overall_absence_rate=10.0),
    # shown, but no national figure is published for this value
    dict(label="Unknown", suppressed=False, suppression_reason=None, national_overall_absence_rate=None),
    # hidden: every figure a dash, the reason beside it
    dict(
        label="Not FSM",
        suppressed=True,
        suppression_reason="fewer than 5 pupils",
        overall_absence_rate=None,
        overall_absence_rate_low=None,
        overall_absence_rate_high=None,
        beyond_chance=None,
        enrolments=None,
        national_overall_absence_rate=None,
    ),
]
BASE_ROW = dict(
    enrolments=12,
    overall_absence_rate=9.34,
    rest_overall_absence_rate=6.0,
    overall_absence_gap=3.34,
    persistent_absence_rate=20.0,
    overall_absence_rate_low=7.06,
    overall_absence_rate_high=11.71,
    beyond_chance=True,
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (0, {"National %": "10.0", "Not shown because": "", "Absence %": "9.3", "Pupils": "12"}),
        (0, {"95% interval": "7.1 to 11.7", "Against the rest": "Beyond chance"}),
        (1, {"National %": "not published", "Not shown because": "", "Absence %": "9.3"}),
        (2, {"National %": "—", "Not shown because": "fewer than 5 pupils", "Absence %": "—", "Pupils": "—"}),
        (2, {"95% interval": "—", "Against the rest": "—"}),  # a hidden group has no interval either
    ],
)
def test_group_tables_say_why_a_cell_is_empty(row, expected):
    table = content.group_table(pd.DataFrame([{**BASE_ROW, **r} for r in GROUP_ROWS]), "fsm")
    for column, text in expected.items():
        assert table.iloc[row][column] == text
    assert "None" not in table.to_string() and "nan" not in table.to_string()


def test_a_breakdown_without_any_national_figure_says_so_once_instead_of_a_column():
    frame = pd.DataFrame([{**BASE_ROW, **r, "national_overall_absence_rate": None} for r in GROUP_ROWS[:2]])
    section = content.group_section(frame.assign(label=["Looked after", "Not looked after"]), Filter(), "lac")
    assert "National %" not in section.table.columns
    assert "no national absence rate for looked-after children" in section.note


def test_without_a_browser_the_pack_is_still_built_and_says_why(built, monkeypatch):
    monkeypatch.setattr(images, "browser_path", lambda: None)
    monkeypatch.setattr(images, "_renderer", images._Renderer())
    pack = packs.with_charts(built.governors)
    assert all(i is None for i in pack.images)
    assert "could not be drawn" in pack.images_note
    document = docx.Document(io.BytesIO(packs.render(pack, "docx")))
    assert any("could not be drawn" in p.text for p in document.paragraphs)


def test_a_chart_browser_that_hangs_is_replaced_and_the_charts_still_drawn(built, monkeypatch):
    """Kaleido bounds each chart's drawing but not the wait for its tab: a hung batch gets a fresh Chromium."""
    from concurrent.futures import TimeoutError as FutureTimeout

    monkeypatch.setattr(images, "_renderer", images._Renderer())
    real, attempts = images._Renderer._draw_once, []

    def hangs_the_first_time(self, figures, fmt):
        attempts.append(len(figures))
        if len(attempts) == 1:
            raise FutureTimeout()  # what a batch that never finishes raises when its wait runs out
        return real(self, figures, fmt)

    monkeypatch.setattr(images._Renderer, "_draw_once", hangs_the_first_time)
    pack = packs.with_charts(built.governors)
    charted = [s for s in built.governors.sections if s.figure is not None]
    assert len(attempts) == 2 and attempts[0] == len(charted)
    assert sum(i is not None for i in pack.images) == len(charted) and not pack.images_note


def test_a_browser_that_never_starts_leaves_a_pack_without_charts_in_bounded_time(built, monkeypatch, tmp_path):
    never = tmp_path / "chromium"
    never.write_text("#!/bin/sh\nexec sleep 30\n")
    never.chmod(0o755)
    monkeypatch.setattr(images, "browser_path", lambda: str(never))
    monkeypatch.setattr(images, "CHART_SECONDS", 3)
    monkeypatch.setattr(images, "_renderer", images._Renderer())
    pack = packs.with_charts(built.governors)
    assert all(i is None for i in pack.images)
    assert "Chromium did not start" in pack.images_note


def _key_points(document_bytes: bytes) -> str:
    paragraphs = [p.text for p in docx.Document(io.BytesIO(document_bytes)).paragraphs]
    return paragraphs[paragraphs.index("Key points") + 1]


def test_a_pack_download_is_made_again_when_the_registers_change(register, db_file, monkeypatch):
    """Cached on the data version: the same file while nothing changes, a new one after an import elsewhere."""
    from ui import export, session

    for upn in ("A1", "A2", "A3", "A4", "A5", "A6"):
        register.pupil(upn).marks(upn, "2025-09-01", "/ / / / / / / / / /")
    monkeypatch.setenv("ATTENDANCE_DB", str(db_file))
    session._data_version.clear()
    f = Filter(school_ids=("T1",), academic_year=2025)
    first = export.pack_bytes("governors", "docx", f)
    assert _key_points(first).startswith("Attendance so far this year is 100.0%")
    assert export.pack_bytes("governors", "docx", f) == first  # nothing changed: the same file, not rebuilt
    register.marks("A1", "2025-09-08", "I I I I I I I I I I")  # as a command-line import would add marks
    session._data_version.clear()  # the version is re-read every few seconds; the test need not wait
    assert _key_points(export.pack_bytes("governors", "docx", f)).startswith(
        "Attendance so far this year is 85.7%"
    )  # 10 of 70


def _facts(fsm_gap: float, fsm_real: bool, sen_gap: float, sen_real: bool):
    from analytics.overview import Headline, WeeklyComparison
    from ui.packs import summary

    def breakdown(label: str, gap: float, real: bool) -> pd.DataFrame:
        row = dict(label=label, suppressed=False, overall_absence_gap=gap, beyond_chance=real)
        return pd.DataFrame([{**row, "overall_absence_rate": 6.0 + gap, "rest_overall_absence_rate": 6.0}])

    h = Headline(now={"enrolments": 500, "attendance_rate": 93.0})
    weekly = WeeklyComparison(pd.DataFrame(), pd.DataFrame())
    bys = {"fsm": breakdown("FSM", fsm_gap, fsm_real), "sen": breakdown("EHC plan", sen_gap, sen_real)}
    return summary, summary.Facts(h, weekly, bys, None, None)


@pytest.mark.parametrize(
    ("fsm", "sen", "sentence", "question"),
    [
        # The wider gap is real: it is named, and the panel asks about support.
        ((4.0, True), (2.0, True), "widest gap beyond what chance explains is for FSM", "Pupils in the group FSM"),
        # A real gap comes before a wider one within noise.
        ((4.0, False), (2.0, True), "beyond what chance explains is for EHC plan", "Pupils in the group EHC plan"),
        # No gap is real: the widest is named as within noise, and the panel is asked to watch, not act.
        ((4.0, False), (2.0, False), "The widest gap is for FSM: 10.0% absence", "The gap for FSM (10.0% against"),
    ],
)
def test_key_points_and_questions_say_whether_a_gap_is_beyond_chance(fsm, sen, sentence, question):
    summary, facts = _facts(*fsm, *sen)
    points = summary.key_points(facts, Filter())
    assert sentence in points
    assert ("within noise at 95%" in points) == (not fsm[1] and not sen[1])
    assert any(q.startswith(question) for q in summary.questions(facts, Filter()))
