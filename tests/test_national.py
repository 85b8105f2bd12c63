"""DfE comparators read from the shipped files (data/reference/)."""

import pytest

from analytics import national


@pytest.mark.parametrize(
    "phase, overall, authorised, unauthorised, pa",
    [  # METHODOLOGY.md, national rows of the 2025/26 year-to-date file
        ("primary", 5.28, 3.73, 1.55, 13.8),
        ("secondary", 8.49, 5.22, 3.27, 23.8),
        ("special", 13.17, 9.57, 3.60, 36.1),
        ("all", 6.88, 4.52, 2.36, 18.8),
    ],
)
def test_national_headline(phase, overall, authorised, unauthorised, pa):
    got = national.national_headline(phase)
    assert round(got["overall_absence_rate"], 2) == overall
    assert round(got["authorised_absence_rate"], 2) == authorised
    assert round(got["unauthorised_absence_rate"], 2) == unauthorised
    assert round(got["persistent_absence_rate"], 1) == pa
    assert got["attendance_rate"] == pytest.approx(100 - got["overall_absence_rate"])
    assert (got["geography"], got["period"]) == ("England", "2025/26 academic year to date")


@pytest.mark.parametrize("key", ["E09000030", "211", "Tower Hamlets", "tower hamlets"])
def test_local_authority_by_code_or_name(key):
    got = national.local_authority_headline(key, "primary")
    assert got["geography"] == "Tower Hamlets"
    assert got["overall_absence_rate"] == pytest.approx(5.92336377968847)


def test_suppressed_local_authority_figures_are_none():
    # City of London primary is published as 'c'.
    got = national.local_authority_headline("City of London", "primary")
    assert got["overall_absence_rate"] is None and got["persistent_absence_rate"] is None


def test_unknown_local_authority_and_region():
    assert national.local_authority_headline("E99999999") is None
    assert national.regional_headline("Atlantis") is None


def test_region_of_a_local_authority():
    assert national.region_of("E09000030") == "E12000007"
    assert national.regional_headline("E12000007", "all")["geography"] == "London"


@pytest.mark.parametrize(
    "group, value, overall, pa",
    [("fsm", True, 10.0, 31.7), ("fsm", False, 5.2, 14.4), ("sen", "E", 13.1, 35.1), ("sen", "K", 10.1, 29.0),
     ("sen", "N", 5.8, 17.0), ("cin", True, 17.6, 48.8), ("gender", "F", 6.6, None)],
)  # fmt: skip
def test_national_by_characteristic(group, value, overall, pa):
    got = national.national_by_characteristic(group, value)
    assert (got["overall_absence_rate"], got["persistent_absence_rate"]) == (overall, pa)
    assert got["period"] and got["source"]


@pytest.mark.parametrize("group, value", [("lac", True), ("eal", True), ("year_group", 9)])
def test_no_national_figure_says_so(group, value):
    assert national.national_by_characteristic(group, value) is None
    assert "no national" in national.no_national_figure(group).lower()


def test_unknown_phase_is_refused():
    with pytest.raises(ValueError, match="unknown phase"):
        national.national_headline("nursery")
