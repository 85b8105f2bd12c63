"""Column mappings a user saved in the app, remembered for files with the same headers."""

from __future__ import annotations

import json

import duckdb


def save_mapping(con: duckdb.DuckDBPyConnection, signature: str, kind: str, mapping: dict[str, str]) -> None:
    """Remember a hand mapping ({file column: field, '' = not used}) for files with this header signature."""
    con.execute(
        "INSERT OR REPLACE INTO column_mappings (signature, kind, mapping, saved_at) VALUES (?, ?, ?, current_timestamp)",
        [signature, kind, json.dumps(mapping, sort_keys=True)],
    )


def saved_mapping(con: duckdb.DuckDBPyConnection, signature: str) -> dict[str, str] | None:
    row = con.execute("SELECT mapping FROM column_mappings WHERE signature = ?", [signature]).fetchone()
    return json.loads(row[0]) if row else None
