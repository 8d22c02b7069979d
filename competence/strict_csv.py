"""Every CSV file the tool reads (staff list, catalogue, Moodle framework), read one strict way.

Python's csv module forgives what a person would want to hear about.  A quote that is
never closed swallows every later line into one value: a staff list with ``Anna;"…``
made a person named after the next rows and dropped those rows.  An unquoted ``;``
inside a value adds a column: the catalogue's ``builds`` spilled into ``roles``, and
the import said it went well.  So here:

* the reader runs with ``strict=True``: a quote never closed (``unexpected end of data``)
  or text after a closing quote stops the file, at the line where the value starts;
* every row must have exactly as many columns as the header;
* a quoted value may run over several lines only in the columns the caller names
  (a description may; a name or an employee number never does): elsewhere it is a
  closing quote missing further up, reported with both lines;
* a NUL character is refused (a database cannot store it; it means a binary file);
* a file larger than MAX_IMPORT_BYTES is refused before it is read, by every caller:
  the web's upload limit and the command line's share it.

The text is read as a stream: what is kept is the rows, not the file two more times.
Problems are codes with a line and values (not sentences); callers word them in the
person's language.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, NamedTuple, Self

from competence.texts import DocumentError

# One limit for every file a person hands the tool, on the web and on the command line.
# A 10,000-row staff list is about 1 MB, a catalogue of thousands of entries well under.
MAX_IMPORT_BYTES = 8 * 1024 * 1024

# The English wording of each problem (the command line's); the web translates by code.
PROBLEMS = {
    "unclosed_quote": "a quoted value that starts on this line is never closed",
    "text_after_quote": (
        'text after a closing quote; write a quote inside a quoted value as two quotes ("")'
    ),
    "column_count": "%(found)s columns, the header has %(expected)s",
    "line_break": (
        "a quoted value runs on to line %(end)s; is a closing quote missing on this line?"
    ),
    "nul": "a NUL character, which cannot be stored (is this a text file?)",
    "not_utf8": "not UTF-8; save the file as CSV UTF-8",
    "not_csv": "not readable as CSV (%(reason)s)",
    "too_large": "the file is %(size)s MB; at most %(limit)s MB can be imported",
}


@dataclass(frozen=True)
class LineProblem:
    """A problem (a code of `messages` and its values) on a line; 0 is the whole file.

    Each kind of file names its own messages in a subclass (CsvProblem here, the staff
    list's RowError), so a caller words any of them the same way."""

    messages: ClassVar[Mapping[str, str]] = {}
    line: int
    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, line: int, code: str, **params: object) -> Self:
        return cls(line, code, tuple((name, str(value)) for name, value in params.items()))

    @property
    def message(self) -> str:
        return self.messages[self.code] % dict(self.params)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class CsvProblem(LineProblem):
    messages: ClassVar[Mapping[str, str]] = PROBLEMS


csv_problem = CsvProblem.of


class CsvRefused(DocumentError):
    """The file is not a clean table; `problems` names each problem with its line."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class Record(NamedTuple):
    """A row as read: the line it starts on, the line it ends on, and its values."""

    line: int
    last_line: int
    values: list[str]


@dataclass(frozen=True)
class Table:
    header_line: int
    header: list[str]  # as written, stripped, without a byte order mark
    rows: list[tuple[int, list[str]]]  # (line, values), one value per header column


Source = str | bytes | BinaryIO


def too_large(size: int, limit: int = MAX_IMPORT_BYTES) -> CsvProblem | None:
    """The refusal for a file of `size` bytes, or None when it may be read."""
    if size <= limit:
        return None
    return csv_problem(0, "too_large", size=_megabytes(size), limit=_megabytes(limit))


def records(
    source: Source, delimiter: str | None = None, *, nul_allowed: bool = False
) -> Iterator[Record]:
    """Every non-blank row with its lines; CsvRefused at the first row that cannot be read.

    The delimiter, when not given, is the header's: `;` when it has at least as many
    semicolons as commas (Swedish Excel), else `,`.  `nul_allowed` is for a format whose
    own checks decide about NUL (a Moodle framework file round-trips any text)."""
    lines = _lines(source)
    leading: list[str] = []
    try:
        for text in lines:
            leading.append(text)
            if text.strip():
                break
    except _NotUtf8 as error:
        raise CsvRefused([csv_problem(error.args[0], "not_utf8")]) from error
    if delimiter is None:
        header = leading[-1] if leading else ""
        semicolons = header.count(";")
        delimiter = ";" if semicolons and semicolons >= header.count(",") else ","
    reader = csv.reader(itertools.chain(leading, lines), delimiter=delimiter, strict=True)
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvRefused([_reader_problem(line, str(error))]) from error
        except _NotUtf8 as error:
            raise CsvRefused([csv_problem(error.args[0], "not_utf8")]) from error
        if not any(value.strip() for value in values):
            continue
        if not nul_allowed and any("\x00" in value for value in values):
            raise CsvRefused([csv_problem(line, "nul")])
        yield Record(line, reader.line_num, values)


def read_table(
    source: Source,
    *,
    delimiter: str | None = None,
    line_breaks_in: Collection[str] = (),
    header_name: Callable[[str], str] = lambda name: name,
) -> Table | None:
    """The header and every row, each row as wide as the header; None for an empty file.

    `line_breaks_in` names the columns (by `header_name` of their header text) whose
    quoted values may hold line breaks.  Every problem of every row is gathered before
    CsvRefused is raised, except one that stops the reader (a quote never closed)."""
    problems: list[CsvProblem] = []
    table: Table | None = None
    try:
        for record in records(source, delimiter):
            if table is None:
                header = [value.strip().lstrip("\ufeff") for value in record.values]
                table = Table(record.line, header, [])
                continue
            width = len(table.header)
            values = record.values
            # Exactly as wide: even one empty cell too many is how a shifted row looks
            # (`2.1:1-3; 2.2:1-3;;` in a `;` file), and spreadsheets pad every row alike.
            if len(values) != width:
                problems.append(
                    csv_problem(record.line, "column_count", found=len(values), expected=width)
                )
                continue
            if record.last_line > record.line:
                broken = [
                    name
                    for name, value in zip(table.header, values, strict=True)
                    if ("\n" in value or "\r" in value) and header_name(name) not in line_breaks_in
                ]
                if broken:
                    problems.append(csv_problem(record.line, "line_break", end=record.last_line))
                    continue
            table.rows.append((record.line, values))
    except CsvRefused as refused:
        raise CsvRefused(problems + refused.problems) from refused
    if problems:
        raise CsvRefused(problems)
    return table


class _NotUtf8(Exception):
    """A byte sequence that is not UTF-8, met while reading the stream."""


def _lines(source: Source) -> Iterator[str]:
    if isinstance(source, str):
        return iter(io.StringIO(source.removeprefix("\ufeff"), newline=""))
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    return _decoded_lines(source)


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Line by line as bytes, so a byte that is not UTF-8 is found on its own line."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield (raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise _NotUtf8(number) from error


def _reader_problem(line: int, message: str) -> CsvProblem:
    if "unexpected end of data" in message:
        return csv_problem(line, "unclosed_quote")
    if "expected after" in message:
        return csv_problem(line, "text_after_quote")
    if "NUL" in message:
        return csv_problem(line, "nul")
    return csv_problem(line, "not_csv", reason=message)


def _megabytes(size: int) -> int:
    """Whole megabytes, rounded up: a file just over the limit never reads as the limit."""
    return -(-size // (1024 * 1024))
