"""Frameworks in and out of the tool: our JSON document, and Moodle's competency framework CSV.

- `json_document`: our JSON document (lossless, both languages);
- `moodle_csv`: Moodle's CSV format as tool_lpimportcsv reads and writes it (what it can and
  cannot carry, and how our framework maps onto it);
- `moodle_export` and `moodle_import`: a framework to that CSV and back;
- `uploads`: an uploaded file's text, and ImportRejected with every problem by line.

Callers use the names below, from `competence.framework_io`.
"""

from competence.framework_io.json_document import framework_from_json, framework_to_json
from competence.framework_io.moodle_csv import AREA_PREFIX, MOODLE_HEADERS
from competence.framework_io.moodle_export import default_proficient_from, framework_to_moodle_csv
from competence.framework_io.moodle_import import (
    MoodleImport,
    framework_from_moodle_csv,
    read_moodle_csv,
)
from competence.framework_io.uploads import ImportRejected, RowError

__all__ = [
    "AREA_PREFIX",
    "MOODLE_HEADERS",
    "ImportRejected",
    "MoodleImport",
    "RowError",
    "default_proficient_from",
    "framework_from_json",
    "framework_from_moodle_csv",
    "framework_to_json",
    "framework_to_moodle_csv",
    "read_moodle_csv",
]
