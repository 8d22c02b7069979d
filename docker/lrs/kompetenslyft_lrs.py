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

`python -m kompetenslyft_lrs add-user` writes a user into Ralph's users file (RALPH_AUTH_FILE),
as `ralph auth -w` does: Ralph's own command needs its `cli` extra, which pins click below
8.2.1, and the tool's lock (constraints.txt) has a newer click. Same file, same models.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend


class AppendingFSLRSBackend(FSLRSBackend):
    """Ralph's file LRS backend, appending every batch to its one statements file."""

    name = "fsappend"
    default_operation_type = BaseOperationType.APPEND

    def append_to_history(self, event: dict) -> None:
        """Keeps no history: no LRS request reads it, and each entry rewrote the whole file."""


def add_user(
    auth_file: Path,
    username: str,
    password: str,
    agent: dict,
    scopes: list[str],
    rounds: int = 12,
) -> None:
    """Writes `username` into Ralph's users file, replacing a user of that name."""
    # Not at the top: Ralph imports this module (the entry point) while importing ralph.api.
    import bcrypt
    from ralph.api.auth.basic import ServerUsersCredentials, UserCredentials

    users = []
    if auth_file.exists() and auth_file.stat().st_size:
        users = ServerUsersCredentials.model_validate_json(auth_file.read_text()).root
    users = [user for user in users if user.username != username]
    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode("ascii")
    users.append(UserCredentials(username=username, hash=password_hash, scopes=scopes, agent=agent))
    auth_file.parent.mkdir(parents=True, exist_ok=True)
    auth_file.write_text(ServerUsersCredentials(users).model_dump_json(indent=2, exclude_none=True))


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kompetenslyft_lrs")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="add a user; the password is read from stdin")
    add.add_argument("--username", required=True)
    add.add_argument("--mbox", required=True, help="the user's agent, e.g. mailto:it@umea.example")
    add.add_argument(
        "--scope",
        action="append",
        help="repeatable; default statements/write and statements/read",
    )
    options = parser.parse_args(arguments)
    if not options.mbox.startswith("mailto:"):
        parser.error("--mbox must start with mailto:")
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        parser.error("give the password on standard input")
    from ralph.conf import settings

    add_user(
        Path(settings.AUTH_FILE),
        options.username,
        password,
        {"objectType": "Agent", "mbox": options.mbox},
        options.scope or ["statements/write", "statements/read"],
    )
    print(f"{options.username} can now use the LRS ({settings.AUTH_FILE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
