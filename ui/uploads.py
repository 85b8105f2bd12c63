"""What an uploaded file must pass before it is read: size, a register format, and bytes that match its name."""

from __future__ import annotations

import io
import os
import zipfile

MAX_UPLOAD_MB = 200  # matches server.maxUploadSize in .streamlit/config.toml
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx",)
_MAX_UNZIPPED = 2_000 * 1024 * 1024  # an xlsx that inflates beyond this is a zip bomb, not a register


def check_upload(name: str, data: bytes) -> str | None:
    """Why an uploaded file must be refused (a message safe to show), or None when it may be read.

    Checks size, that the name is a register format, and that the bytes are what
    the name claims: an .xlsx is a zip holding ``[Content_Types].xml`` and no
    macros; a CSV or text file is text (no NUL bytes, decodes as UTF-8 or
    Windows-1252). Files are only ever parsed as data, never run or opened by
    another program.
    """
    suffix = os.path.splitext(str(name).lower())[1]
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        return f"The file is larger than {MAX_UPLOAD_MB} MB."
    if not data:
        return "The file is empty."
    if suffix in EXCEL_SUFFIXES:
        if not data.startswith(b"PK\x03\x04"):
            return "The file is named .xlsx but is not an Excel workbook."
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                names = set(book.namelist())
                inflated = sum(i.file_size for i in book.infolist())
        except zipfile.BadZipFile:
            return "The file is named .xlsx but is not an Excel workbook."
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            return "The file is named .xlsx but is not an Excel workbook."
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return "The workbook contains macros. Save it as a plain .xlsx (or CSV) and upload that."
        if inflated > _MAX_UNZIPPED:
            return "The workbook is too large once unpacked."
        return None
    if suffix in TEXT_SUFFIXES:
        head = data[: 1024 * 1024]
        if head.startswith((b"PK\x03\x04", b"%PDF", b"MZ", b"\x7fELF", b"\xd0\xcf\x11\xe0")):
            return f"The file is named {suffix} but is not a text file (it looks like a workbook or program)."
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return f"The file is named {suffix} but is not a text file."
        for encoding in ("utf-8-sig", "utf-16", "cp1252"):
            if encoding == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            try:
                head.decode(encoding)
                return None
            except UnicodeDecodeError as exc:
                if encoding == "utf-8-sig" and exc.start >= len(head) - 4:
                    return None  # a multi-byte character cut by the 1 MB sample
        return f"The file is named {suffix} but its text could not be read."
    if suffix == ".xls":
        return "Old .xls workbooks are not read: save the file as .xlsx or CSV."
    return "Upload a CSV (.csv) or Excel (.xlsx) file."
