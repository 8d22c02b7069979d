"""A person's export: every row the tool holds about them, as JSON files in a ZIP, for a
request of access (GDPR art. 15) or portability (art. 20)."""

from __future__ import annotations

import enum
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from storage.personal_data import TABLES, Subject, collect


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON")


README = """\
Kompetenslyft – registerutdrag / data export

SVENSKA
Börja med sammanfattningen ("1 Sammanfattning.pdf", samma text som webbsida i
"1 Sammanfattning.html"): den beskriver med vanliga ord vad verktyget har om
personen. Resten av filerna är samma uppgifter i maskinläsbar form.
Detta är ett utdrag av alla uppgifter som Kompetenslyft har om en person
(artikel 15 i dataskyddsförordningen, GDPR). Varje JSON-fil är en tabell i
verktygets databas; varje post är en rad som rör personen. Tider anges i UTC
(ISO 8601). Tabeller som inte finns med innehåller inga uppgifter om personen.
Uppgifter som redan har skickats till andra system (organisationens LRS,
HR-system, Moodle) finns även där; fråga organisationen om dem.

ENGLISH
Start with the summary ("1 Summary.pdf", the same text as a web page in
"1 Summary.html"; the person's language decides its name): it says in plain
words what the tool holds about the person. The other files are the same data
in machine-readable form.
This is an export of everything Kompetenslyft holds about one person (Article
15 GDPR). Each JSON file is one table of the tool's database; each entry is one
row concerning the person. Times are UTC (ISO 8601). Tables not included hold
nothing about the person. Data already sent to other systems (the
organisation's LRS, HR systems, Moodle) is held there as well; ask the
organisation about those.

Tabeller / tables:
"""


def export_zip(
    session: Session,
    subject: Subject,
    *,
    made_at: datetime,
    first: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """The export as a ZIP: `first` (the summary written for the person), then
    `<table>.json` per table with rows, and a README.txt."""
    rows = collect(session, subject)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in first:
            archive.writestr(name, content)
        listing = "".join(
            f"- {name}.json ({len(found)}): {TABLES[name].why}\n" for name, found in rows.items()
        )
        archive.writestr(
            "README.txt", README + listing + f"\nSkapad / made: {made_at.isoformat()}\n"
        )
        for name, found in rows.items():
            archive.writestr(
                f"{name}.json",
                json.dumps(found, default=_plain, ensure_ascii=False, indent=2, sort_keys=True),
            )
    return buffer.getvalue()
