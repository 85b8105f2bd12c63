"""Opening a file: the bytes of an upload or a path, as text (CSV in any encoding Excel writes) or as
rows of a workbook's register sheet."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path


class ReadError(ValueError):
    """The file as a whole cannot be read; the message is for the data manager."""


@dataclass
class Source:
    name: str
    data: bytes
    path: Path | None = None  # the original file on disk, when there is one

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        name = self.name.lower()
        for ext in (".csv.gz", ".txt.gz", ".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv", ".gz"):
            if name.endswith(ext):
                return ext
        return Path(name).suffix

    @property
    def is_workbook(self) -> bool:
        return self.suffix in (".xlsx", ".xlsm")


def open_source(source) -> Source:
    """A path or a ``(file_name, bytes)`` pair (an upload) as a Source. Raises OSError when unreadable."""
    if isinstance(source, tuple):
        name, data = source
        return Source(Path(str(name)).name, bytes(data))
    path = Path(source)
    return Source(path.name, path.read_bytes(), path)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of Excel 97-2003 workbooks


def reject_legacy_excel(src: Source) -> None:
    if src.suffix == ".xls" or src.data[:8] == _OLE:
        raise ReadError(
            "is an Excel 97-2003 workbook (.xls), which cannot be read safely: open it in Excel, choose "
            "File > Save As > 'Excel Workbook (*.xlsx)' (or 'CSV UTF-8'), and import the new file"
        )


def decode(src: Source) -> str:
    """The text of a CSV or text export: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text")
    or Windows-1252 (Excel's "CSV (comma delimited)"); gzip unpacked first."""
    data = src.data
    if src.suffix.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise ReadError("is not a readable gzip file") from None
    if not data.strip():
        raise ReadError("is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError("says it is UTF-16 text (Excel's 'Unicode Text') but cannot be read as such") from None
    head = data[:4000]
    if head.count(b"\x00"):
        # UTF-16 without a byte-order mark: every other byte of plain text is zero.
        odd, even = head[1::2].count(b"\x00"), head[0::2].count(b"\x00")
        for encoding, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
            if zeros > 0.9 * (len(head) // 2) and zeros > 10:
                try:
                    return data.decode(encoding)
                except UnicodeDecodeError:
                    break
        raise ReadError("is not a text file (it contains binary data): export the register as CSV or .xlsx")
    if data[:4] == b"PK\x03\x04":
        raise ReadError("is a zip or Excel file with a CSV name: rename it to .xlsx, or export it as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def cell_text(v) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates as yyyy-mm-dd)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    text = str(v)
    return text if text.strip() else None


def open_workbook(src: Source):
    """The workbook (read-only, formulas kept as text so they are refused, never evaluated)."""
    import openpyxl

    if src.data[:2] != b"PK":
        reject_legacy_excel(src)
        raise ReadError(
            "is not an Excel workbook (.xlsx), although its name says so: save it again from Excel as .xlsx or CSV"
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(src.data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(
            f"cannot be opened as an Excel workbook ({type(exc).__name__}): save it again as .xlsx or CSV"
        ) from None


def sheet_rows(ws, max_row: int | None = None):
    """A worksheet's rows as lists of cell text."""
    for row in ws.iter_rows(max_row=max_row, values_only=True):
        yield [cell_text(v) for v in row]
