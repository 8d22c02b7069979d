"""A framework file as uploaded: its text, and every problem found in it by line."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from competence.texts import DocumentError

_LINE_BREAKS_BYTES = re.compile(rb"\r\n?")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(DocumentError):
    """A file was refused; `errors` holds every problem found, so all can be fixed at once."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


def decoded(content: str | bytes) -> str:
    """Text from an upload: UTF-8 with or without the BOM that Excel writes."""
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportRejected(
            [RowError(1, "the file is UTF-16; save it as UTF-8 (Excel: CSV UTF-8)")]
        )
    content = _LINE_BREAKS_BYTES.sub(b"\n", content.removeprefix(codecs.BOM_UTF8))
    errors = []
    for number, line in enumerate(content.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(
                RowError(
                    number, f"not UTF-8 (byte 0x{line[error.start]:02X}); save the file as UTF-8"
                )
            )
    if errors:
        raise ImportRejected(errors)
    return content.decode("utf-8")
