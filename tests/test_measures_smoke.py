"""The one definition of the measures on the smallest hand-checked register."""

import pytest

from analytics import measures
from analytics.filters import Filter, PupilLevelDenied, Scope, require_pupil_level


def test_one_pupil_hand_checked(register, con):
    # 10 sessions: 7 attended (/ \ L B), 2 authorised (I M), 1 unauthorised (U), plus D and # not possible, one missing.
    register.pupil("A1").marks("A1", "2025-09-01", "/ \\ L B I M U / \\ / D # -")
    got = measures.summary(con, Filter(school_ids=("T1",)))
    assert got["possible_sessions"] == 10
    assert got["attendance_sessions"] == 7
    assert got["authorised_sessions"] == 2
    assert got["unauthorised_sessions"] == 1
    assert got["missing_sessions"] == 1
    assert got["overall_absence_rate"] == pytest.approx(30.0)
    assert got["persistent_absence_count"] == 1
    assert got["severe_absence_count"] == 0


def test_governor_scope_refuses_pupil_rows():
    with pytest.raises(PupilLevelDenied):
        require_pupil_level(Filter(scope=Scope(pupil_level=False)))
