"""Our JSON document: lossless, both languages; what `competence.frameworks` validates."""

from __future__ import annotations

import json

from competence.framework_io.uploads import ImportRejected, RowError, decoded
from competence.frameworks import Framework, framework_from_document


def framework_to_json(framework: Framework) -> str:
    return json.dumps(framework.to_document(), ensure_ascii=False, indent=2) + "\n"


def framework_from_json(text: str | bytes) -> Framework:
    """Syntax errors come as ImportRejected with a line; content errors as framework_from_document's
    DocumentError with a path (``areas[0].competences[1].id: ...``)."""
    try:
        document = json.loads(decoded(text))
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (column {error.colno})"
        raise ImportRejected([RowError(error.lineno, message)]) from error
    return framework_from_document(document)
