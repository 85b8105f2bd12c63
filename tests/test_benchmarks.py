"""The benchmark report's bookkeeping: a quick run keeps the sizes it did not run, and sections nest."""

from __future__ import annotations

import pytest

from benchmarks import bench_growth
from benchmarks.__main__ import _section, _splice


@pytest.mark.parametrize(
    ("saved", "new", "expected"),
    [
        ({}, {1: "a", 5: "b"}, {"1": "a", "5": "b"}),
        ({"1": "old", "5": "old", "100": "old"}, {1: "a", 5: "b"}, {"1": "a", "5": "b", "100": "old"}),
        ({"100": "old", "20": "old"}, {5: "b"}, {"5": "b", "20": "old", "100": "old"}),  # in size order
        ({"1": "old"}, {}, {"1": "old"}),
    ],
)
def test_a_run_replaces_only_the_sizes_it_measured(saved, new, expected):
    got = bench_growth.merged(saved, new)
    assert got == expected
    assert list(got) == list(expected)


def test_subsections_render_under_their_section_and_splice_as_one():
    result = {
        "title": "How it grows",
        "rows": [{"schools": 1, "question s": "0.1"}, {"schools": 5, "question s": "0.2", "measured": "now"}],
        "subsections": [
            {"title": "Page times as it grows", "rows": [{"page": "Overview", "cold s": "0.5"}]},
            {"title": "Plot", "lines": ["```mermaid", "```"]},
            {"title": "Nothing to plot", "lines": []},
        ],
    }
    lines = _section(result)
    assert lines[0] == "## How it grows"
    assert "| schools | question s | measured |" in lines  # every row's columns, in first-seen order
    assert "| 1 | 0.1 |  |" in lines
    assert lines.index("### Page times as it grows") < lines.index("### Plot")
    assert "### Nothing to plot" not in lines
    report = "# Performance\n\n## How it grows\n\nold\n\n### Page times as it grows\n\nold\n\n## Browser timings\n"
    spliced = _splice(report, lines).splitlines()
    assert "old" not in spliced
    assert spliced.count("## How it grows") == 1 and spliced[-1] == "## Browser timings"
