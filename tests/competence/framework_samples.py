"""What the framework import and export tests share: Moodle's CSV header, a small framework in two
languages, and readers of what an export wrote or an import refused."""

from __future__ import annotations

import csv
import io

import pytest

from competence.framework_io import (
    ImportRejected,
    framework_from_moodle_csv,
)
from competence.frameworks import framework_from_document

# lang/en/tool_lpimportcsv.php, in framework_importer::list_required_headers() order.
MOODLE_HEADERS = [
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
]
HEADER_LINE = ",".join(f'"{h}"' if " " in h or "-" in h else h for h in MOODLE_HEADERS)
SCALE_CONFIGURATION = '"[{""scaleid"":0},{""id"":1,""scaledefault"":1,""proficient"":1}]"'


def text(sv: str, en: str) -> dict:
    return {"sv": sv, "en": en}


LEVELS = [("Grundläggande", "Basic"), ("Mellan", "Intermediate"), ("Avancerad", "Advanced")]
SYSTEMS_DOCUMENT = {
    "id": "systems",
    "version": "2",
    "name": text("Våra system", "Our systems"),
    "description": text("Kompetens i verksamhetens system.", "Competence in our systems."),
    "source": {"title": "Intern", "url": "https://example.org/systems"},
    "licence": "CC-BY-4.0",
    "attribution": text("Skolan", "The school"),
    "scale": {
        "levels": [
            {"value": value, "name": text(sv, en), "group": None, "description": {}}
            for value, (sv, en) in enumerate([*LEVELS, ("Expert", "Expert")], start=1)
        ],
        "groups": [],
    },
    "areas": [
        {
            "id": "admin",
            "name": text("Administration", "Administration"),
            "description": text("Schema, närvaro, betyg.", "Timetables, attendance, grades."),
            "competences": [
                {
                    "id": "admin.sis",
                    "name": text("Elevregistret", "Student register"),
                    "description": {},
                },
                {
                    "id": "admin.hr",
                    "name": text("Personalsystemet", "HR system"),
                    "description": text("Ledighet, lön", "Leave, pay"),
                },
            ],
        },
        {
            "id": "teaching",
            "name": text("Undervisning", "Teaching"),
            "description": {},
            "competences": [
                {
                    "id": "teaching.lms",
                    "name": text("Lärplattformen", "Learning platform"),
                    "description": text("Kurser och uppgifter.", "Courses and assignments."),
                },
            ],
        },
    ],
}
SYSTEMS = framework_from_document(SYSTEMS_DOCUMENT)


def moodle_rows(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content, newline="")))


def rejected_lines(content: str | bytes, **options) -> list[int]:
    with pytest.raises(ImportRejected) as caught:
        framework_from_moodle_csv(content, **options)
    return [error.line for error in caught.value.errors]
