"""The one page registry: every page of the dashboard in navigation order, and the roles that see it.

app.py builds each user's navigation from it and ``ui.auth.require_page``
refuses any page whose row does not name the user's role, so a typed address
is refused exactly as a missing menu entry would suggest. One line per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.users import ROLES


@dataclass(frozen=True)
class Page:
    key: str
    path: str
    title: str
    icon: str
    section: str
    roles: frozenset[str]


def _page(key: str, path: str, title: str, icon: str, section: str, roles: str) -> Page:
    return Page(key, path, title, icon, section, frozenset(roles.split()))


# Leaders see every pupil of their schools (the data-quality report too: missing marks to chase); pastoral
# leads their pupils; governors aggregate pages only (analytics refuse pupil-level rows for their scope too).
PAGES: tuple[Page, ...] = (
    _page("overview", "pages/overview.py", "Overview", ":material/dashboard:", "Termly review", "admin leader governor"),
    _page("groups", "pages/groups.py", "Groups", ":material/groups:", "Termly review", "admin leader governor"),
    _page("patterns", "pages/patterns.py", "Patterns", ":material/calendar_view_week:", "Termly review", "admin leader governor"),
    _page("model", "pages/model.py", "At-risk model", ":material/model_training:", "Termly review", "admin leader governor"),
    _page("pupils", "pages/pupils.py", "Pupils", ":material/person_search:", "Pastoral", "admin leader pastoral"),
    _page("lists", "pages/lists.py", "Lists", ":material/list_alt:", "Pastoral", "admin leader pastoral"),
    _page("risk", "pages/risk.py", "At risk", ":material/warning:", "Pastoral", "admin leader pastoral"),
    _page("caseload", "pages/caseload.py", "Caseload", ":material/assignment_ind:", "Pastoral", "admin leader pastoral"),
    _page("impact", "pages/impact.py", "Impact", ":material/insights:", "Termly review", "admin leader"),
    _page("action_plan", "pages/action_plan.py", "Action plan", ":material/flag:", "Termly review", "admin leader governor"),
    _page("trust", "pages/trust.py", "Schools side by side", ":material/domain:", "Termly review", "admin leader governor"),
    _page("governors", "pages/governors.py", "Governors' pack", ":material/account_balance:", "Governors", "admin leader governor"),
    _page("import", "pages/import.py", "Import", ":material/upload_file:", "Data", "admin"),
    _page("quality", "pages/quality.py", "Data quality", ":material/fact_check:", "Data", "admin leader"),
    _page("users", "pages/users.py", "Users", ":material/manage_accounts:", "Data", "admin"),
    _page("audit", "pages/audit.py", "Audit log", ":material/history:", "Data", "admin"),
)  # fmt: skip
PAGE_BY_KEY = {p.key: p for p in PAGES}


def url_path(key: str, default: bool = False) -> str:
    """The address a page is served at. A role's first page is also served at "/" (``default``): it is named
    ``start-<key>`` there, and a hidden twin keeps ``/<key>`` working too (app.py)."""
    return f"start-{key}" if default else key


ADDRESSES = frozenset(url_path(p.key, default) for p in PAGES for default in (False, True))


def pages_for(role: str) -> list[Page]:
    """The pages a role sees, in navigation order."""
    return [p for p in PAGES if role in p.roles]


def allowed(role: str, key: str) -> bool:
    page = PAGE_BY_KEY.get(key)
    return page is not None and role in page.roles


def _check() -> None:
    unknown = {r for p in PAGES for r in p.roles} - set(ROLES)
    if unknown:
        raise ValueError(f"the page registry names unknown roles: {sorted(unknown)}")


_check()
