"""Turning an MIS export into a table of strings with line numbers, and recognising what it holds.

The rooms: ``files`` (opening bytes: encodings, workbooks, refusing .xls),
``table`` (finding the header and the data rows inside a file, loading them into
DuckDB), ``fields`` (the fields and the names exports give them), ``layout``
(recognising a file's kind from its header) and ``values`` (reading one cell).
"""

from data.readers.fields import (
    ALIASES,
    ID_FIELDS,
    KINDS,
    LABELS,
    OPTIONAL,
    PUPIL_FIELDS,
    REQUIRED,
    field_of,
    norm,
)
from data.readers.files import ReadError, Source, cell_text, decode, open_source
from data.readers.layout import Layout, recognise, signature_of, wide_column
from data.readers.table import (
    REPEATED_HEADER,
    TOTALS,
    RawTable,
    detect_layout,
    find_header,
    load_table,
    not_a_pupil,
    note_row_sql,
    read_header,
    temp_table_from_arrow,
)
from data.readers.values import (
    BadValue,
    is_formula,
    parse_date,
    parse_eal,
    parse_end_date,
    parse_gender,
    parse_language,
    parse_mark,
    parse_period_number,
    parse_sen,
    parse_session,
    parse_year_group,
    parse_yes_no,
    upn_check_letter_ok,
)

__all__ = [
    "ALIASES",
    "ID_FIELDS",
    "KINDS",
    "LABELS",
    "OPTIONAL",
    "PUPIL_FIELDS",
    "REPEATED_HEADER",
    "REQUIRED",
    "TOTALS",
    "BadValue",
    "Layout",
    "RawTable",
    "ReadError",
    "Source",
    "cell_text",
    "decode",
    "detect_layout",
    "field_of",
    "find_header",
    "is_formula",
    "load_table",
    "norm",
    "not_a_pupil",
    "note_row_sql",
    "open_source",
    "parse_date",
    "parse_eal",
    "parse_end_date",
    "parse_gender",
    "parse_language",
    "parse_mark",
    "parse_period_number",
    "parse_sen",
    "parse_session",
    "parse_year_group",
    "parse_yes_no",
    "read_header",
    "recognise",
    "signature_of",
    "temp_table_from_arrow",
    "upn_check_letter_ok",
    "wide_column",
]
