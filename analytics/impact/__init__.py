"""Did it work? Attendance before and after each kind of intervention, against matched pupils who had none.

A pupil is usually picked for help after a bad spell, and most pupils recover
from a bad spell on their own (regression to the mean): a plain before/after
change makes every intervention look like a success. So each pupil who had an
intervention is compared with the pupils at the same school who had nothing on
that date and whose attendance before was most like theirs (over the weeks just
before, and over the rest of the year before that; the same year group where
one is close), and the effect is the change beyond theirs. A comparison pupil
helped shortly before or after the date counts with that help's estimated effect
taken out of the weeks it may have changed (``effects.rates``).

Windows are counted in school weeks (weeks with any session marks at the school,
so holidays do not count): ``weeks`` school weeks before the date and ``weeks``
from it. Attendance is the DfE rate over each pupil's own possible sessions
(``measures.marks_sql``). The 95% interval resamples pupils in both arms (a
bootstrap that repeats the matching and the correction, and re-estimates the
other types' effects taken out), so it carries the comparison's own noise.

Rooms: ``settings`` (the estimate's settings), ``matching`` (who is compared with whom), ``effects`` (each
type's effect and its correction), ``estimate`` (the impact table, its JSON, one pupil since their latest
action).
"""

from analytics.impact.estimate import impact_record, intervention_impact, since_last_action
from analytics.impact.settings import DEFAULT_WEEKS, IMPACT_KEYS, MATCHES, SMALL_GROUP

__all__ = [
    "DEFAULT_WEEKS",
    "IMPACT_KEYS",
    "MATCHES",
    "SMALL_GROUP",
    "impact_record",
    "intervention_impact",
    "since_last_action",
]
