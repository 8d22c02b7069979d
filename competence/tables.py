"""Report tables as plain data, and their exports to CSV and XLSX.

A page and its exports are built from the same `Table`, so what a download
holds is exactly what the page shows: small groups already hidden ("–"), and
the note explaining that travels with the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

HIDDEN = "–"


@dataclass(frozen=True)
class Table:
    key: str  # used in file names and export URLs
    caption: str
    header: Sequence[str]  # first is the row headers' column
    rows: Sequence[Sequence[str]]  # each: row header, then one cell per column
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def hidden_cells(self) -> int:
        return sum(cell == HIDDEN for row in self.rows for cell in row[1:])


def table_csv(table: Table) -> str:
    """UTF-8 CSV with a byte-order mark, so Excel opens å, ä and ö correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.caption])
    writer.writerow(table.header)
    writer.writerows(table.rows)
    for note in table.notes:
        writer.writerow([note])
    return out.getvalue()


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """One worksheet per table: caption, header row (bold), rows, then the notes."""
    # Imported here: openpyxl costs every web worker ~8 MB, and only a download needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.key))
        sheet.append([table.caption])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(table.header))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_number_or_text(value) for value in row])
        for note in table.notes:
            sheet.append([note])
        sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(key: str) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet name.
    return "".join(c for c in key if c not in "[]:*?/\\")[:31] or "table"


def _number_or_text(value: str):
    """Plain whole numbers become numbers (sums work in Excel); everything else stays text."""
    return int(value) if value.isdigit() else value
