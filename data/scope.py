"""What a signed-in user may see: the rule every query carries (``analytics.filters.Filter.scope``).

It lives with the data because it is decided from the stored accounts
(``data.users.scope_for``); the analytics apply it inside every query.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """What a user may see. Empty tuples mean no restriction on that axis.

    ``year_groups`` and ``forms`` combine with OR: a pastoral lead for Year 8
    and form 9A sees both.
    """

    school_ids: tuple[str, ...] = ()
    year_groups: tuple[int, ...] = ()
    forms: tuple[str, ...] = ()
    pupil_level: bool = True  # False for governors: no pupil-level rows at all
