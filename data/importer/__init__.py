"""The importer: MIS exports in, validated, written in one transaction.

Two front doors share this code path: ``python -m data import FILE...`` (a
nightly scheduled job) and the app's Import page (uploads as ``(name, bytes)``).

    result = import_files(con, ["pupils.xlsx", "marks.csv"], school_id="100001")
    if not result.ok:
        print(result.summary())

The rooms: ``batch`` (the order of work, the school, the year of a pupils file),
``staging`` (what every file's staging shares), ``marks`` / ``pupils`` /
``term_dates`` / ``intervention_log`` (staging and checks per kind of file),
``identities`` (linking any id a file gives to a pupil), ``writing`` (the one
transaction and the import log), ``result`` (problems and outcomes),
``mappings`` (hand column mappings) and ``command_line``.

Decisions a data manager should know:
- A refused batch changes no register data; each of its files gets an import-log
  row (outcome ``refused``, the reason, who tried). The refusal is reported to the
  caller (stderr and exit code 1 on the command line).
- With no ``school_id`` the importer uses the database's only school; when the
  database has none it creates school ``school`` ("My school", phase from the
  pupils' year groups: any Year 7 or above makes it secondary).
- A pupils file's academic year is its ``Academic Year`` column, else the
  ``year`` argument, else the year every mark of the batch falls in, else the
  current academic year; the summary says which and why.
- Marks for a pupil with no enrolment in that academic year get one carried
  from the pupil's nearest year (year group shifted, ``source = 'carried'``).
- Blank, ``-`` or ``.`` marks are stored as missing (NULL code).
- Title rows, totals, notes and repeated headers are skipped and counted in the summary.
"""

from data.importer.batch import import_files
from data.importer.command_line import cli
from data.importer.mappings import save_mapping, saved_mapping
from data.importer.result import FileOutcome, ImportResult, Problem

__all__ = ["FileOutcome", "ImportResult", "Problem", "cli", "import_files", "save_mapping", "saved_mapping"]
