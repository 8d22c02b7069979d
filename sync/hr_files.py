"""HR competence records as CSV files, in a folder or on an SFTP server.

Each batch becomes one CSV file (UTF-8, `;`-separated as Swedish spreadsheet
users expect, or as configured; optionally with a BOM for Excel) and a
checksum file beside it, `<file>.sha256` in `sha256sum` format.  Both appear
atomically: written under a temporary name (`.<name>.part`), flushed to disk,
then renamed.  HR reads a CSV only when its `.sha256` file is there and
matches, so it never reads half a file.

The values are written exactly as the REST API sends them (docs/hr-competence-records.openapi.yaml,
`Record`): HR's system reads the file, and a `'` put before text that looks like a formula
(what competence.tables does for report downloads) would end up in HR's register as part of a
competence name or an evidence line, and make the same record differ between the two
transports.  So no formula neutralising here; a person who opens a file in Excel should import
it as text (Data → From Text/CSV), as the README says.

Exactly once across crashes, the rule:
- a batch's file name is `<prefix>-<hash>.csv`, the hash being SHA-256 of the
  batch's sorted delivery keys, so the same batch always has the same name;
- before a file is written, the batch's name is recorded for each of its
  deliveries (`storage.outbox.DeliveryFile`), in a committed transaction;
- a delivery claimed again after a crash, already named, is written again
  together with every delivery of that name: the same content under the same
  name, overwriting the earlier copy.  So every record ends up in exactly one
  file, whatever the sender was killed doing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from outbound.delivery import DeliveryFailed
from storage.completions import SyncTarget
from storage.database import each_of, one_of
from storage.lrs import CredentialsUnavailable
from storage.outbox import ClaimedDelivery, Delivery, DeliveryFile, DeliveryStatus
from sync.hr_delivery import BatchOutcome
from sync.hr_records import COLUMNS, HR_FILES, RecordSource
from sync.target_secrets import secrets_of

if TYPE_CHECKING:
    import paramiko

DEFAULT_DELIMITER = ";"


@dataclass(frozen=True)
class CsvFile:
    name: str
    content: bytes

    @property
    def checksum_name(self) -> str:
        return f"{self.name}.sha256"

    @property
    def checksum_content(self) -> bytes:
        return f"{hashlib.sha256(self.content).hexdigest()}  {self.name}\n".encode()


def batch_file_name(prefix: str, keys: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
    return f"{prefix}-{digest}.csv"


def csv_bytes(
    rows: list[list[str]], delimiter: str = DEFAULT_DELIMITER, bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


class Destination(Protocol):
    """Where a target's files go; `put` makes a file appear whole or not at all."""

    def put(self, files: list[CsvFile]) -> None: ...


class FolderDestination(Destination):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, files: list[CsvFile]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for file in files:
                _write_atomically(self.folder, file.name, file.content)
                _write_atomically(self.folder, file.checksum_name, file.checksum_content)
            directory = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(directory)  # the renames themselves survive a power cut
            finally:
                os.close(directory)
        except OSError as error:
            raise DeliveryFailed(
                f"cannot write to {self.folder}: {error}", retryable=True
            ) from None


def _write_atomically(folder: Path, name: str, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class SftpDestination(Destination):
    """An SFTP server: upload under a temporary name, then rename over the final one.

    The server's host key must be the one configured (`sftp_host_key`, a
    known_hosts line), so records never go to an impostor."""

    def __init__(self, settings: dict, secrets: dict[str, str], timeout: float = 10.0) -> None:
        self.host = settings["sftp_host"]
        self.port = int(settings.get("sftp_port", 22))
        self.username = settings["sftp_username"]
        self.folder = settings.get("sftp_folder", ".").rstrip("/") or "/"
        self.host_key = settings.get("sftp_host_key", "")
        self.secrets = secrets
        self.timeout = timeout

    def put(self, files: list[CsvFile]) -> None:
        # Imported here: only the scheduler sends files, and paramiko costs every web
        # worker, which imports this module too, ~9 MB.
        import paramiko

        try:
            transport = self._connect()
        except (OSError, paramiko.SSHException, EOFError) as error:
            raise DeliveryFailed(
                f"SFTP server {self.host}:{self.port} unavailable: {error}", retryable=True
            ) from None
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
            for file in files:
                self._upload(sftp, file.name, file.content)
                self._upload(sftp, file.checksum_name, file.checksum_content)
            sftp.close()
        except (OSError, paramiko.SSHException, EOFError) as error:
            raise DeliveryFailed(f"SFTP upload failed: {error}", retryable=True) from None
        finally:
            transport.close()

    def _connect(self) -> paramiko.Transport:
        import paramiko

        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = transport.auth_timeout = self.timeout
        transport.start_client(timeout=self.timeout)
        offered = transport.get_remote_server_key()
        if f"{offered.get_name()} {offered.get_base64()}" != " ".join(self.host_key.split()[:2]):
            transport.close()
            raise paramiko.SSHException(
                f"host key {offered.get_name()} {offered.get_fingerprint().hex()} is not the "
                "configured one (sftp_host_key)"
            )
        if self.secrets.get("private_key"):
            key = paramiko.Ed25519Key.from_private_key(
                io.StringIO(self.secrets["private_key"]), self.secrets.get("passphrase")
            )
            transport.auth_publickey(self.username, key)
        else:
            transport.auth_password(self.username, self.secrets.get("password", ""))
        return transport

    def _upload(self, sftp: paramiko.SFTPClient, name: str, content: bytes) -> None:
        final = f"{self.folder}/{name}"
        temporary = f"{self.folder}/.{name}.part"
        sftp.putfo(io.BytesIO(content), temporary, file_size=len(content), confirm=True)
        try:
            sftp.posix_rename(temporary, final)
        except OSError:
            # Servers without posix-rename refuse to rename over a file that exists.
            with contextlib.suppress(OSError):
                sftp.remove(final)
            sftp.rename(temporary, final)


class HrFilesSender:
    """The `hr.files` sender: a batch of deliveries becomes one CSV file per target."""

    target = HR_FILES

    def __init__(self, secret_key: str, timeout: float = 10.0) -> None:
        self.secret_key = secret_key
        self.timeout = timeout

    def destination(self, target: SyncTarget) -> Destination:
        settings = target.settings or {}
        if settings.get("sftp_host"):
            return SftpDestination(settings, secrets_of(target, self.secret_key), self.timeout)
        return FolderDestination(Path(settings["folder"]))

    def send_batch(
        self, session: Session, target: SyncTarget, deliveries: list[ClaimedDelivery]
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        try:
            destination = self.destination(target)
        except (CredentialsUnavailable, KeyError) as error:
            outcome.untried = list(deliveries)
            outcome.unavailable = DeliveryFailed(f"HR files target: {error}", retryable=True)
            return outcome
        settings = target.settings or {}
        prefix = settings.get("file_prefix") or f"competence-records-{target.id}"
        # Deliveries already named in an earlier, unfinished run go with all their batch mates.
        named = _file_names(session, [delivery.id for delivery in deliveries])
        batches: dict[str, list[ClaimedDelivery]] = {}
        fresh = []
        for delivery in deliveries:
            if delivery.id in named:
                batches.setdefault(named[delivery.id], []).append(delivery)
            else:
                fresh.append(delivery)
        for name in list(batches):
            batches[name] = _batch_mates(session, name, batches[name])
        if fresh:
            name = batch_file_name(prefix, [delivery.key for delivery in fresh])
            _name_file(session, name, fresh)
            session.commit()  # the name is on record before any byte is written
            batches.setdefault(name, []).extend(fresh)
        source = RecordSource(session)
        claimed_ids = {delivery.id for delivery in deliveries}
        # In name order: two workers that each hold part of two old batches take their
        # files' locks in the same order, so neither waits for the other forever.
        for name, batch in sorted(batches.items()):
            source.preload([delivery.payload for delivery in batch])
            rows = []
            written = []
            for delivery in sorted(batch, key=lambda d: d.key):
                try:
                    records = source.records_of(target, delivery.payload, delivery.key)
                except DeliveryFailed as failed:
                    if delivery.id in claimed_ids:
                        outcome.refused.append((delivery, failed.reason))
                    continue
                rows.extend(record.row() for record in records)
                written.append(delivery)
            content = csv_bytes(
                rows,
                settings.get("delimiter", DEFAULT_DELIMITER),
                bool(settings.get("bom", False)),
            )
            mine = [delivery for delivery in written if delivery.id in claimed_ids]
            if outcome.unavailable is not None:
                outcome.untried.extend(mine)
                continue
            _write_alone(session, target, name)
            try:
                destination.put([CsvFile(name, content)])
            except DeliveryFailed as failed:
                outcome.unavailable = failed
                outcome.untried.extend(mine)
            else:
                outcome.delivered.extend(mine)
        return outcome


def _write_alone(session: Session, target: SyncTarget, name: str) -> None:
    """Wait until no other worker is writing file `name`, and keep it so until this batch's
    transaction ends (after its deliveries are marked).

    The deliveries of one file, given back after a crash, may be claimed by two workers (the
    HR job's lanes, or schedulers) at once; both would upload the same temporary name, and
    the second's rename fail, pausing the target for a minute.  Taking turns, the second
    writes the same content again.  Key: (sync target, hash of the name), like the Moodle
    sender's (target, person) locks; target ids are unique, so the two never meet."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(target.id, func.hashtext(name))))


def _file_names(session: Session, delivery_ids: list[str]) -> dict[str, str]:
    """The file each of these deliveries was already named for (a run that did not finish)."""
    files = DeliveryFile.__table__
    return dict(
        session.execute(
            select(files.c.delivery_id, files.c.file_name).where(
                one_of(session, files.c.delivery_id, delivery_ids)
            )
        ).all()
    )


def _name_file(session: Session, name: str, deliveries: list[ClaimedDelivery]) -> None:
    """Record the file's name for each delivery: one INSERT … SELECT of their ids."""
    files = DeliveryFile.__table__
    each_id = each_of(session, [delivery.id for delivery in deliveries])
    session.execute(
        insert(files).from_select(
            ["delivery_id", "file_name"], select(each_id, literal(name, files.c.file_name.type))
        )
    )


def _batch_mates(
    session: Session, name: str, claimed: list[ClaimedDelivery]
) -> list[ClaimedDelivery]:
    """Every delivery named for file `name` (claimed now or not, sent or not): its content."""
    table, files = Delivery.__table__, DeliveryFile.__table__
    mates = [
        ClaimedDelivery(row.id, row.target, row.key, row.payload, row.attempts)
        for row in session.execute(
            select(table.c.id, table.c.target, table.c.key, table.c.payload, table.c.attempts)
            .join(files, files.c.delivery_id == table.c.id)
            .where(files.c.file_name == name, table.c.status != DeliveryStatus.DEAD)
        )
    ]
    known = {delivery.id for delivery in mates}
    return mates + [delivery for delivery in claimed if delivery.id not in known]
