"""Checks on an uploaded file before any XML parser sees it.

An upload is hostile until shown otherwise. In order, :func:`check_upload` refuses:

1. an empty file, or one over ``max_bytes`` (the caller's cap, 2 MB by default);
2. anything that is not a zip (an old ``.xls`` or a password-protected workbook is an OLE2
   file and gets its own message), or a damaged zip;
3. an archive with more than :data:`MAX_MEMBERS` members, duplicate names, encrypted
   members or a compression other than stored/deflate;
4. a **zip bomb**: the declared uncompressed sizes are summed (over :data:`MAX_UNCOMPRESSED`
   is refused) and each member's compression ratio is checked (over :data:`MAX_RATIO`:1 is
   refused for members of :data:`RATIO_FLOOR` bytes or more) -- from the central directory,
   before anything is decompressed. ``zipfile`` never returns more than a member's declared
   size (it stops there and fails the CRC check), so the declared sizes bind;
5. an Office file that is not a workbook (a renamed ``.docx``, ``.pptx`` or ``.ods``), a zip
   without ``xl/workbook.xml``, or a macro-enabled workbook;
6. any member that declares a DTD or an entity (``<!DOCTYPE``, ``<!ENTITY``) or uses an
   encoding other than UTF-8 -- spreadsheets never write either, and this closes billion
   laughs and external entities before parsing. (openpyxl also parses through ``defusedxml``,
   which refuses them again: two locks, see :mod:`.workbook_read`.) Every member is read
   through once here, in bounded chunks, which also checks its CRC.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from io import BytesIO

from .workbook_layout import WorkbookError

MAX_UNCOMPRESSED = 20_000_000
MAX_RATIO = 100
RATIO_FLOOR = 64 * 1024
MAX_MEMBERS = 500
_CHUNK = 64 * 1024
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

FRESH = "download a fresh workbook with 'Download as Excel' and enter your changes again"
NOT_A_WORKBOOK = ("This file is not an Excel workbook (.xlsx); upload the workbook you "
                  "downloaded with 'Download as Excel'.")
DAMAGED = f"This workbook is damaged and cannot be read; {FRESH}."
ENTITIES = ("This workbook contains XML entity or DTD declarations, which spreadsheets never "
            "write, so it was refused.")


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} KB"


def check_upload(data: bytes, max_bytes: int) -> None:
    """Raise :class:`WorkbookError` unless ``data`` is a sane, entity-free ``.xlsx`` zip."""
    if not data:
        raise WorkbookError("The file is empty; upload the workbook you downloaded with "
                            "'Download as Excel'.")
    if len(data) > max_bytes:
        raise WorkbookError(f"The file is {size_text(len(data))} but uploads are limited to "
                            f"{size_text(max_bytes)}; upload the workbook you downloaded, "
                            "without added sheets or pictures.")
    if data.startswith(_OLE2):
        raise WorkbookError("This is an old-format (.xls) or password-protected Excel file; "
                            "save it as an Excel workbook (.xlsx) without a password and "
                            "upload it again.")
    if not data.startswith(b"PK\x03\x04"):
        raise WorkbookError(NOT_A_WORKBOOK)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            _check_members(archive)
            _check_kind(set(archive.namelist()))
            for info in archive.infolist():
                _scan(archive, info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError):
        raise WorkbookError(DAMAGED) from None


def _check_members(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS or len({i.filename for i in infos}) != len(infos):
        raise WorkbookError(DAMAGED)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookError("This workbook is encrypted; save it without a password and "
                                "upload it again.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(DAMAGED)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR and ratio > MAX_RATIO:
            raise WorkbookError("This file is compressed far more than any workbook (a "
                                "'zip bomb'), so it was refused.")
    if total > MAX_UNCOMPRESSED:
        raise WorkbookError(f"This file unpacks to {size_text(total)}, more than the "
                            f"{size_text(MAX_UNCOMPRESSED)} allowed; a budget workbook is far "
                            "smaller, so it was refused.")


def _check_kind(names: set[str]) -> None:
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        if "xl/vbaProject.bin" in names:
            raise WorkbookError("This workbook contains macros; upload the .xlsx workbook you "
                                "downloaded with 'Download as Excel'.")
        return
    kinds = (("word/document.xml", "a Word document (.docx)"),
             ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
             ("content.xml", "an OpenDocument file (.ods or .odt)"))
    for member, kind in kinds:
        if member in names:
            raise WorkbookError(f"This file is {kind}, not an Excel workbook; upload the "
                                "workbook you downloaded with 'Download as Excel'.")
    raise WorkbookError(NOT_A_WORKBOOK)


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read one member through (bounded by its declared size) looking for a DTD."""
    tail = b""
    first = True
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            if first:
                _check_encoding(chunk)
                first = False
            window = tail + chunk
            if any(marker in window for marker in _FORBIDDEN):
                raise WorkbookError(ENTITIES)
            tail = window[-16:]


def _check_encoding(start: bytes) -> None:
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        raise WorkbookError("This workbook's XML is not UTF-8, which spreadsheets write, so "
                            "it was refused.")
    if start.startswith((b"<?xml", b"\xef\xbb\xbf<?xml")):
        declaration = start[: start.find(b"?>") + 2]
        match = _ENCODING.search(declaration)
        if match and match.group(1).lower() not in _UTF8:
            raise WorkbookError("This workbook's XML is not UTF-8, which spreadsheets write, "
                                "so it was refused.")
