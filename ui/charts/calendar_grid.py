"""A pupil's calendar of marks as an HTML table: one square per session, coloured by category, its code on it.

A pupil's page opens on this calendar. Drawn by Vega-Lite, it was the only chart on that first screen:
the browser fetched and ran Vega's module and laid out some 800 marks before the page was ready (about
half a second of a first visit on 2 cores, docs/PERFORMANCE.md). A table of coloured cells is drawn by
the browser itself with ``st.html``, and is read by a screen reader as what it is: rows are the ten
sessions of a week (Monday morning at the top; a Saturday's two as well where a school marked one),
columns the school weeks with marks, headed by their Monday ("week beginning") under the month's name.
Hovering over a square gives its day, session, code and meaning. A column that follows a week without
marks (a holiday) is set apart by a gap.

Everything written into the HTML is escaped: codes and meanings come from imported files.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass

import pandas as pd

from ui.charts.style import CATEGORY_COLOURS, CATEGORY_LABELS

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
WEEKEND = ("Sat", "Sun")  # rows only for a pupil with marks on them (a school that opens on a Saturday)
SESSIONS = ("AM", "PM")
ON_DARK = ("unauthorised", "missing")  # categories whose squares carry their letter in white
CLASS = "att-cal"  # every rule below is scoped to the calendar's own elements
NO_SESSION = "#F4F4F4"  # a square with no mark: no session that day for this pupil
NO_SESSION_LABEL = "No session for this pupil"

STYLE = f"""<style>
.{CLASS} {{ font-family: "Source Sans Pro", Arial, sans-serif; color: #1A1A1A; margin: 0 0 0.5rem 0; }}
.{CLASS} .t {{ font-size: 17px; font-weight: 600; }}
.{CLASS} .s {{ font-size: 13px; color: #555; }}
.{CLASS} .key {{ font-size: 13px; margin: 0.4rem 0; }}
.{CLASS} .key span {{ display: inline-block; margin-right: 1rem; white-space: nowrap; }}
.{CLASS} .key i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }}
.{CLASS} .scroll {{ overflow-x: auto; }}
.{CLASS} table {{ border-collapse: collapse; font-size: 11px; line-height: 1; }}
.{CLASS} th {{ font-weight: normal; color: #444; padding: 2px 3px; white-space: nowrap; }}
.{CLASS} thead th {{ text-align: left; font-size: 11px; }}
.{CLASS} tbody th {{ text-align: right; position: sticky; left: 0; background: #FFFFFF; font-size: 12px; }}
.{CLASS} td {{ width: 20px; min-width: 20px; height: 20px; padding: 0; text-align: center;
  border: 1px solid #FFFFFF; background: {NO_SESSION}; }}
.{CLASS} thead td {{ background: none; border: 0; }}
.{CLASS} .key i.none {{ background: {NO_SESSION}; box-shadow: inset 0 0 0 1px #D0D0D0; }}
.{CLASS} .gap {{ border-left: 6px solid #FFFFFF; }}
.{CLASS} tbody tr:nth-child(2n) td {{ border-bottom-width: 3px; }}
{
    "".join(
        f".{CLASS} .k-{key} {{ background: {colour}; color: {'#FFFFFF' if key in ON_DARK else '#1A1A1A'}; }}"
        for key, colour in CATEGORY_COLOURS.items()
    )
}
</style>"""


@dataclass(frozen=True)
class HtmlChart:
    """A chart drawn as HTML (``charts.show`` puts it on the page with ``st.html``)."""

    title: str  # plain text: "what — for whom, when"
    html: str


def calendar(marks: pd.DataFrame, title: str) -> HtmlChart:
    """Every session of a pupil: ``marks`` needs ``date``, ``session``, ``category``, ``code`` and ``meaning``.

    ``title`` is a ``charts.chart_title`` ("what<br><sup>for whom, when</sup>"). A category outside the
    palette is drawn as a missing mark, as the register leaves it unexplained.
    """
    what, _, rest = title.partition("<br><sup>")
    when = rest.replace("</sup>", "")
    dates = pd.to_datetime(marks["date"]).dt.normalize()
    monday = dates - pd.to_timedelta(dates.dt.dayofweek, unit="D")
    category = marks["category"].where(marks["category"].isin(list(CATEGORY_COLOURS)), "missing")
    cells = {
        (week, day.strftime("%a"), str(session)): (kind, "" if pd.isna(code) else str(code), meaning, day)
        for week, day, session, kind, code, meaning in zip(
            monday, dates, marks["session"], category, marks["code"], marks["meaning"], strict=True
        )
    }
    weeks = sorted(set(monday))
    after_gap = {w for prev, w in itertools.pairwise(weeks) if (w - prev).days > 7}
    head = _month_row(weeks) + _week_row(weeks, after_gap)
    marked_days = {day for _, day, _ in cells}
    days = [*DAYS, *(d for d in WEEKEND if d in marked_days)]
    body = "".join(_session_row(day, session, weeks, after_gap, cells) for day in days for session in SESSIONS)
    shown = [k for k in CATEGORY_COLOURS if k in set(category)]
    key = "".join(f'<span><i class="k-{k}"></i>{CATEGORY_LABELS[k]}</span>' for k in shown)
    if len(cells) < len(weeks) * len(days) * len(SESSIONS):  # a holiday, a closure, before the pupil joined
        key += f'<span><i class="none"></i>{NO_SESSION_LABEL}</span>'
    plain = f"{what} — {when}" if when else what
    subtitle = f'<div class="s">{html.escape(when)}</div>' if when else ""
    return HtmlChart(
        title=plain,
        html=(
            f'{STYLE}<figure class="{CLASS}"><figcaption><div class="t">{html.escape(what)}</div>{subtitle}'
            f'</figcaption><div class="key">{key}</div><div class="scroll"><table aria-label="{html.escape(plain)}">'
            f"<thead>{head}</thead><tbody>{body}</tbody></table></div></figure>"
        ),
    )


def _month_row(weeks: list[pd.Timestamp]) -> str:
    spans: list[list] = []
    for w in weeks:
        name = w.strftime("%b")
        if spans and spans[-1][0] == name:
            spans[-1][1] += 1
        else:
            spans.append([name, 1])
    months = "".join(f'<th scope="colgroup" colspan="{n}">{name}</th>' for name, n in spans)
    return f"<tr><td></td>{months}</tr>"


def _week_row(weeks: list[pd.Timestamp], after_gap: set) -> str:
    days = "".join(
        f'<th scope="col"{_classes(w, after_gap)} title="Week beginning {w:%A} {w.day} {w:%B %Y}">{w.day}</th>'
        for w in weeks
    )
    return f'<tr><th scope="row">Week beginning</th>{days}</tr>'


def _session_row(day: str, session: str, weeks: list, after_gap: set, cells: dict) -> str:
    tds = []
    for w in weeks:
        mark = cells.get((w, day, session))
        if mark is None:  # no mark: not a school day for this pupil (a holiday, before they joined)
            tds.append(f"<td{_classes(w, after_gap)}></td>")
            continue
        kind, code, meaning, date = mark
        meaning = "–" if meaning is None or pd.isna(meaning) else str(meaning)
        tip = f"{date:%a %d %b %Y} {session}: {code or 'no mark'}, {meaning}"
        tds.append(f'<td{_classes(w, after_gap, f"k-{kind}")} title="{html.escape(tip)}">{html.escape(code)}</td>')
    return f'<tr><th scope="row">{day} {session}</th>{"".join(tds)}</tr>'


def _classes(week, after_gap: set, *names: str) -> str:
    """A cell's class attribute: ``names`` and "gap" after a week without marks (empty when neither)."""
    names = (*names, "gap") if week in after_gap else names
    return f' class="{" ".join(names)}"' if names else ""
