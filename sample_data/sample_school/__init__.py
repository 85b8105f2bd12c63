"""The sample schools' generator: made-up pupils and registers in the formats MIS exports use.

Everything is drawn from seeded generators in a fixed order, so the same call writes the
same bytes every time. No real pupil is in here: names come from lists, UPNs use the
non-existent authority number 999.

The model behind the marks (the figures it aims for are in sample_data/README.md):
- each pupil has a latent propensity to be absent that carries over from year
  to year with drift (so last year's persistent absence predicts this year's,
  imperfectly), shifted by FSM, SEN, CiN, LAC, EAL and year group;
- absence comes in spells (a day-to-day Markov chain) whose chance of starting
  depends on the weekday, the season (winter illness, a summer rise) and, for
  a few pupils, a steady decline through the year or a rise after the autumn
  half-term;
- on top come half-day patterns (Friday afternoons, appointments, lateness),
  term-time holidays next to half-terms, suspensions, trips, study leave,
  work experience, part-time timetables, dual registration, a polling-day
  closure and a few registers never taken;
- lesson marks follow the session mark, with post-registration truancy in
  particular subjects for some pupils, and minutes late.

Rooms, in the order the draws happen:
``model`` (the seed; the secondary and primary knobs), ``calendar`` (term dates, school days,
half-terms, exam season, festival days), ``people`` (ethnicities, names, ``Pupil``, characteristics
and how they change), ``timetable`` (subjects, option blocks, periods, the weekly grid),
``enrolment`` (the roll: intake, joiners, leavers, forms), ``marks`` (daily chance of absence,
spells, half-day patterns), ``events`` (holidays and the rarer codes), ``generator`` (the four
years in order), ``interventions`` (the attendance team's log), ``lessons`` (lesson registers),
``writers`` (CSV, XLSX and gzip in MIS styles) and ``files`` (which file each year is written in).
"""

from sample_school.files import PRIMARY_FILES, SECONDARY_FILES, generate
from sample_school.generator import Generator
from sample_school.model import PRIMARY, SECONDARY, SEED, SchoolModel

__all__ = ["PRIMARY", "PRIMARY_FILES", "SECONDARY", "SECONDARY_FILES", "SEED", "Generator", "SchoolModel", "generate"]
