"""``python -m data import FILE... [--db PATH] [--school ID] [--year 2025/26] [--json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from data import staging
from data.importer.batch import import_files, year_arg

BY = "command line"  # who the import log says imported


def cli(args) -> int:
    """Exit 0 imported, 1 refused (problems on stderr), 2 usage error."""
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"file not found: {name}", file=sys.stderr)
            return 2
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            print(f"cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        year_arg(args.year)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    room = 3 * sum(Path(name).stat().st_size for name in args.files)  # the marks as stored and derived
    with staging.staged_import(args.db, extra_bytes=room) as con:  # readers keep the file as it was
        result = import_files(con, list(args.files), school_id=args.school, year=args.year, by=BY)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        if not result.ok:
            print(result.summary(), file=sys.stderr)
    elif result.ok:
        print(result.summary())
    else:
        print(result.summary(), file=sys.stderr)
    if result.ok:
        return 0
    return 2 if result.usage_error else 1
