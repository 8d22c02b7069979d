"""Report tables as plain data, and their exports to CSV and XLSX.

A page and its exports are built from the same `Table`, so what a download
holds is exactly what the page shows: small groups already hidden ("–"), and
the note explaining that travels with the file.

A table's cells are typed (`Counted`, `Level`, whole numbers, text), so that the
exports can be used as data, not only read:

* "147 (75 %)" on the page is one cell; in a download it is spread over its own
  columns (or rows): the number, what it is out of, and the share.  In XLSX they are
  numbers with number formats (`0`, `0 %`, `0.0`), so a spreadsheet sums and charts
  them; a hidden figure stays the text "–" in each of them, with the note below.
* A CSV follows the person's language, as their Excel expects it: Swedish Excel
  reads `;` between cells and a decimal comma, English Excel `,` and a decimal
  point.  Always UTF-8 with a byte-order mark, so Excel opens å, ä and ö right.
* Text from data (unit and role names, headers, captions) can never become a
  formula: OWASP's CSV injection rule.  A text cell that a spreadsheet would read
  as a formula or a command (it starts with = + - @, a tab or a carriage return, or
  their full-width forms) gets a leading `'` in a CSV; in XLSX it is a string cell
  (never a formula cell) marked "quote prefix", Excel's own way of saying "this is
  text", so it also stays text when someone edits it.  `neutralised` is the one rule,
  for every spreadsheet file the tool writes.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HIDDEN = "–"

# What a spreadsheet takes for the start of a formula or a DDE command (OWASP, "CSV
# Injection"), and the full-width forms that some Excel input methods turn into them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

COUNT_FORMAT = "0"
SHARE_FORMAT = "0 %"
LEVEL_FORMAT = "0.0"


@dataclass(frozen=True)
class Counted:
    """`count` people out of `out_of` (None: a number of people, no share of anything).

    `kind` only says how the page words it: "size" (196), "count" (147 (75 %)) or
    "share" (51 % (25 of 49))."""

    count: int
    out_of: int | None = None
    kind: str = "count"

    @property
    def share(self) -> float | None:
        return None if not self.out_of else self.count / self.out_of


@dataclass(frozen=True)
class HiddenFigure:
    """A `Counted` hidden for small groups: "–" on the page and in each of its parts."""


HIDDEN_FIGURE = HiddenFigure()


@dataclass(frozen=True)
class Level:
    """A mean on a scale (0 to 4, 1 to 8): one decimal wherever it is shown."""

    value: float


@dataclass(frozen=True)
class Share:
    """A share from 0 to 1, written as a per cent."""

    value: float


Cell = str | int | Counted | HiddenFigure | Level | None  # str: text, or HIDDEN
FIGURES = (Counted, HiddenFigure)


@dataclass(frozen=True)
class Measures:
    """The names of the three parts of a `Counted` in a download, in the person's language."""

    count: str = "number"
    out_of: str = "out of"
    share: str = "share (%)"

    def __iter__(self):
        return iter((self.count, self.out_of, self.share))


@dataclass(frozen=True)
class Table:
    key: str  # used in export URLs
    caption: str
    header: Sequence[str]  # first is the row headers' column
    rows: Sequence[Sequence[str]]  # as the page shows them: row header, then one text per column
    notes: Sequence[str] = field(default_factory=tuple)
    cells: Sequence[Sequence[Cell]] | None = None  # typed, the shape of `rows`; None: the text
    sheet: str = ""  # worksheet name, in the person's language
    file: str = ""  # file name without extension, in the person's language
    counted_across: str = "columns"  # a Counted spreads over columns, or over "rows"

    @classmethod
    def of(
        cls,
        key: str,
        caption: str,
        header: Sequence[str],
        cells: Sequence[Sequence[Cell]],
        shown: Callable[[Cell], str],
        **more,
    ) -> Table:
        """A table from its typed cells; `shown` words a cell for the page."""
        rows = [
            [str(row[0])]
            + [HIDDEN if isinstance(cell, HiddenFigure) else shown(cell) for cell in row[1:]]
            for row in cells
        ]
        return cls(key, caption, header, rows, cells=cells, **more)

    @property
    def hidden_cells(self) -> int:
        return sum(cell == HIDDEN for row in self.rows for cell in row[1:])

    def grid(self, measures: Measures) -> tuple[list[str], list[list]]:
        """Header and rows as a download holds them: every cell one value (text, int,
        `Share`, `Level` or None), a `Counted` spread over three columns or rows."""
        cells = self.cells if self.cells is not None else self.rows
        if self.counted_across == "rows":
            return list(self.header), _counted_across_rows(cells, measures)
        return _counted_across_columns(self.header, cells, measures)


def _parts(cell: Cell) -> list:
    if isinstance(cell, Counted):
        share = cell.share
        return [cell.count, cell.out_of, None if share is None else Share(share)]
    if isinstance(cell, HiddenFigure) or cell == HIDDEN:
        return [HIDDEN] * 3
    return [cell, None, None]


def _counted_across_columns(header, cells, measures: Measures):
    spread = [any(isinstance(row[j], FIGURES) for row in cells) for j in range(len(header))]
    out_header = [header[0]]
    for j, label in enumerate(header[1:], start=1):
        out_header += [f"{label}: {m}" for m in measures] if spread[j] else [label]
    rows = []
    for row in cells:
        out = [row[0]]
        for j, cell in enumerate(row[1:], start=1):
            out += _parts(cell) if spread[j] else [cell]
        rows.append(out)
    return out_header, rows


def _counted_across_rows(cells, measures: Measures):
    rows = []
    for row in cells:
        if not any(isinstance(cell, FIGURES) for cell in row[1:]):
            rows.append(list(row))
            continue
        parts = [_parts(cell) for cell in row[1:]]
        for i, measure in enumerate(measures):
            rows.append([f"{row[0]}: {measure}"] + [p[i] for p in parts])
    return rows


def neutralised(text: str) -> str:
    """Text a spreadsheet will show as text, never run: a `'` before anything that
    could start a formula or command (OWASP).  Excel hides that `'` when it opens a CSV."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class CsvStyle:
    delimiter: str
    decimal: str


CSV_STYLES = {"sv": CsvStyle(";", ","), "en": CsvStyle(",", ".")}


def csv_style(language: str) -> CsvStyle:
    """What the person's Excel expects: English `,` and `.`, Swedish (and else) `;` and `,`."""
    return CSV_STYLES.get(language, CSV_STYLES["sv"])


def table_csv(table: Table, style: CsvStyle = CSV_STYLES["sv"], measures=Measures()) -> str:
    """UTF-8 CSV with a byte-order mark: caption, header, rows, then the notes."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    header, rows = table.grid(measures)
    writer.writerow([neutralised(table.caption)])
    writer.writerow([neutralised(label) for label in header])
    writer.writerows([_csv_value(value, style) for value in row] for row in rows)
    for note in table.notes:
        writer.writerow([neutralised(note)])
    return out.getvalue()


def _csv_value(value, style: CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a table cell is never a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Share):
        return f"{100 * value.value:.1f}".replace(".", style.decimal)
    if isinstance(value, Level):
        return f"{value.value:.1f}".replace(".", style.decimal)
    return neutralised(str(value))


def tables_xlsx(tables: Sequence[Table], measures=Measures()) -> bytes:
    """One worksheet per table: caption, header row (bold), rows, then the notes."""
    # Imported here: openpyxl costs every web worker ~8 MB, and only a download needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.sheet or table.key, used))
        header, rows = table.grid(measures)
        lines = [[table.caption], header, *rows, *([note] for note in table.notes)]
        for number, line in enumerate(lines, start=1):
            _write_row(sheet, number, line)
        for cell in (*sheet[1], *sheet[2]):
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 40
        sheet.freeze_panes = "B3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_row(sheet, row: int, values: Sequence) -> None:
    """Numbers as numbers with their format, text as string cells only (never formulas)."""
    for column, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = sheet.cell(row, column)
        if isinstance(value, bool):
            raise TypeError("a table cell is never a bool")
        if isinstance(value, int):
            cell.value, cell.number_format = value, COUNT_FORMAT
        elif isinstance(value, Share):
            cell.value, cell.number_format = value.value, SHARE_FORMAT
        elif isinstance(value, Level):
            cell.value, cell.number_format = value.value, LEVEL_FORMAT
        else:
            text = str(value)
            cell.value = text
            cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
            if neutralised(text) != text:
                cell.quotePrefix = True


SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_title(name: str, used: set[str]) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, not
    starting or ending with ', not "History", unique in the workbook (ignoring case)."""
    title = re.sub(r"\s+", " ", SHEET_FORBIDDEN.sub("", name)).strip().strip("'").strip()
    title = title[:31].strip() or "Sheet"
    if title.lower() == "history":
        title += " 1"
    base, number = title, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title = base[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    used.add(title.lower())
    return title


def file_stem(*parts: str) -> str:
    """An ASCII file name (without extension) from words in any language:
    "Kompetenslyft", "över tid", "2026" → "kompetenslyft-over-tid-2026".  ASCII, so it
    goes into a Content-Disposition header as it is, on every browser; empty words drop."""
    words = []
    for part in parts:
        plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        words += re.findall(r"[a-z0-9]+(?:\.[a-z0-9]+)*", plain.lower())
    return "-".join(words or ["export"])


def content_disposition(name: str) -> str:
    """`attachment` with a `file_stem` and its extension (nothing in it needs quoting)."""
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        raise ValueError(f"not a file stem and extension: {name!r}")
    return f'attachment; filename="{name}"'
