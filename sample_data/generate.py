"""Generate the sample schools: made-up pupils and registers in the formats MIS exports use.

    python sample_data/generate.py                 # the secondary school -> sample_data/secondary/
    python sample_data/generate.py --primary       # the primary school   -> sample_data/primary/
    python sample_data/generate.py --out DIR       # somewhere else (the tests compare bytes)

Everything is drawn from one seeded generator, so the same command writes the
same bytes every time (gzip and xlsx timestamps are pinned). The generator itself
is the package ``sample_school`` beside this file (its ``__init__`` says which room holds what).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sample_school import PRIMARY, SECONDARY, SEED, Generator, generate

__all__ = ["PRIMARY", "SECONDARY", "SEED", "Generator", "generate", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the sample school files (deterministic).")
    parser.add_argument("--primary", action="store_true", help="the small primary school instead of the secondary")
    parser.add_argument("--out", help="output folder (default: sample_data/secondary or sample_data/primary)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate(args.primary, Path(args.out) if args.out else None)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
