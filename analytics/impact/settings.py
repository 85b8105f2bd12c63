"""The impact estimate's settings, read when an estimate runs (so a study can change one: ``--set`` in
benchmarks/impact_study.py and benchmarks/impact_sample.py)."""

DEFAULT_WEEKS = 6  # half a term: long enough to see a change, short enough to stay about this one action
MATCHES = 5  # comparison pupils per pupil who had the intervention
SMALL_GROUP = 10  # fewer pupils than this: the estimate is shown but flagged as fragile
# Points of attendance a comparison in another year group counts as further away: enough that the
# matches come from the pupil's own year group unless it has none near (a year group shares trips,
# exams, study leave and illness going round, which a pupil-level interval does not see; at 2 points,
# the sample school's intervals held the truth 88% of the time, at 10 points 95%: docs/IMPACT.md).
YEAR_GROUP_PENALTY = 10.0
CANDIDATES_KEPT = 60  # nearest comparison pupils kept per pupil (the bootstrap draws from these)
BOOTSTRAP = 1000  # resamples for the interval
SEED = 20240819  # fixed: the same register always gives the same interval
# What a comparison pupil is matched on: attendance over the whole before-window, its second half,
# and the rest of the year before it (each in percent).
FEATURES = ("before", "recent", "prior")
SLOPE_ROWS = 40  # fewest matched pupils to fit the correction's slopes on; fewer: all candidates kept
NEWTON_STEPS = 3  # steps settling every type's effect, each taken out of other pupils' weeks
LATER_HELP_ROUNDS = 3  # rounds from none where no settled value exists
IMPACT_KEYS = (
    "type",
    "pupils",
    "before_attendance",
    "after_attendance",
    "change",
    "comparison_pupils",
    "comparison_change",
    "effect",
    "ci_low",
    "ci_high",
)
