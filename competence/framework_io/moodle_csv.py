"""Moodle's competency framework CSV: the format, as export and import both read it.

An organisation keeps its frameworks where it wants them: as our JSON document (lossless,
both languages), or in Moodle's competency frameworks (Site administration → Competencies),
which read and write one CSV format through the admin tool `tool_lpimportcsv`.

The Moodle format, as in moodle/moodle admin/tool/lpimportcsv/classes/framework_importer.php
(`list_required_headers`, the constructor's column mapping), framework_exporter.php (row
order and values), lang/en/tool_lpimportcsv.php (header texts) and lib/csvlib.class.php
(`csv_import_reader::load_csv_content`):

* Comma separated, UTF-8; a UTF-8 byte order mark is dropped, CR LF and CR become LF (also
  inside quoted fields), blank lines are skipped and every row must have as many columns as
  the header.  The importer maps columns by position: the header texts are translated in a
  Moodle that is not in English, so they are written here as in English but never checked.
  (PHP's fgetcsv also takes a backslash before a quote as an escape: a text containing
  ``\\"`` can reach Moodle changed.  No CSV spelling avoids that, so it is left as it is.)
* Fourteen columns, MOODLE_HEADERS.  One row has "Is framework" set (PHP truthiness: any
  value but "" and "0"); it carries the framework's ID number, short name, description,
  "Scale values" (the scale's items joined by commas, Moodle trims each) and "Scale
  configuration", JSON: ``[{"scaleid": ...}, {"id": 3, "scaledefault": 1, "proficient": 1},
  ...]`` where ids are 1-based positions in the scale and only values marked default or
  proficient are listed; Moodle replaces the scaleid with the scale it finds or creates, and
  refuses a framework with no default or no proficient value.  "Taxonomy" names each level
  of the tree with one of Moodle's terms, comma separated.
* Every other row is a competency.  "Parent ID number" is empty at the top and otherwise the
  ID number of its parent, in any order; ID numbers are unique within the framework; short
  names and ID numbers are cut to 100 characters.  Moodle's exporter writes rule outcome
  "0", rule config "null" and the competency's database id as "Exported ID".

Our framework in that format:

* The framework row is the framework: ID number = framework id, short name = name,
  taxonomy "domain,competency".  Descriptions are plain text (format 2, FORMAT_PLAIN); on
  import, HTML descriptions (format 1, what Moodle's editor writes) become plain text.
* Areas are top-level competencies with ID number ``area:<area id>``; competences are their
  children with ID number = competence id.  ``:`` is not allowed in our identifiers, so an
  area can never take a competence's ID number, and the prefix is simply dropped on import
  (a top-level competency written in Moodle, without it, keeps its ID number as area id).
* Our levels are the scale values.  Moodle also wants to know from which value a person is
  proficient: `proficient_from`, by default `default_proficient_from`.

What the Moodle format cannot carry is left out of it: the other language, the version,
source, licence and attribution, level descriptions and level groups.  Moodle's rules,
cross-references and competency-specific scales have no counterpart here; an import ignores
the first two and refuses the third rather than lose it quietly.
"""

from __future__ import annotations

import re

from competence.texts import LANGUAGES

MOODLE_HEADERS = (
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
)
AREA_PREFIX = "area:"
TAXONOMIES = "domain,competency"
# core_competency\competency_framework::TAXONOMY_* constants.
MOODLE_TAXONOMY_TERMS = frozenset(
    {
        "behaviour",
        "competency",
        "concept",
        "domain",
        "indicator",
        "level",
        "outcome",
        "practice",
        "proficiency",
        "skill",
        "value",
    }
)
FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN = 0, 1, 2, 4
DESCRIPTION_FORMATS = frozenset(
    {"", *map(str, (FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN))}
)
MOODLE_TEXT_LIMIT = 100
LINE_BREAKS = re.compile(r"\r\n?")


def lf_line_breaks(text: str) -> str:
    # csv_import_reader turns every CR LF and CR into LF, inside quoted fields too.
    return LINE_BREAKS.sub("\n", text)


def require_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
