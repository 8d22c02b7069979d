"""Ralph's file LRS backend, keeping every batch: the LRS that docker/compose.yaml ships.

Ralph 5.1.0's own file backend (`fs`) writes each POST /xAPI/statements with the operation
"create", which refuses a file that already exists: the first batch is stored and every
later one is answered 500 "Statements bulk indexation failed". The scheduler sends statements
in batches, so an organisation would have had one batch in its LRS and a dead letter for every
other. This backend appends each batch to the same JSON-lines file instead (one statement a
line, `<DEFAULT_DIRECTORY_PATH>/fs_lrs.jsonl`); reading, filtering and paging are Ralph's.

It also keeps no history file. Ralph's file backends record every file read and written in
`history.json` (for `ralph fetch` to skip files it has seen), rewriting the whole list each
time: as an LRS that is one more entry and one more full rewrite per request, for a list no
LRS request reads.

Settings are Ralph's file backend's own (`RALPH_BACKENDS__LRS__FS__*`); choose this backend
with `RALPH_RUNSERVER_BACKEND=fsappend` (the entry point in pyproject.toml beside this file).
Ralph handles one request at a time here (one uvicorn process, a synchronous backend), so
appends never interleave. Every request reads the whole file (Ralph's duplicate-id check and
every GET), so this suits one organisation's statements, not a national LRS.
"""

from __future__ import annotations

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend


class AppendingFSLRSBackend(FSLRSBackend):
    """Ralph's file LRS backend, appending every batch to its one statements file."""

    name = "fsappend"
    default_operation_type = BaseOperationType.APPEND

    def append_to_history(self, event: dict) -> None:
        """Keeps no history: no LRS request reads it, and each entry rewrote the whole file."""
