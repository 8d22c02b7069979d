"""An operator connects an organisation's HR register with `kompetenslyft sync target`."""

import uuid

from sqlalchemy import select

from config import load_settings
from storage import CompletionEvent, Delivery, DeliveryStatus, Organisation, SyncTarget
from storage.database import utcnow
from storage.outbox import enqueue
from sync.target_secrets import secrets_of


def organisation(db) -> Organisation:
    row = Organisation(slug=f"kommun-{uuid.uuid4().hex[:6]}", name="Kommun")
    db.add(row)
    db.commit()
    return row


def targets(db, org) -> list[SyncTarget]:
    db.expire_all()
    return db.scalars(select(SyncTarget).where(SyncTarget.organisation_id == org.id)).all()


def test_a_rest_target_with_oauth2_keeps_its_secrets_sealed_and_never_shows_them(kompetenslyft, db):
    org = organisation(db)
    result = kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "hr_rest",
        "--name", "Personec", "--url", "https://hr.umea.example.se/api/v1",
        "--auth", "oauth2", "--token-url", "https://login.umea.example.se/token",
        "--client-id", "kompetenslyft", "--mode", "batch", "--batch-size", "50",
        "--programme-code", "ESF-2026-0042", "--secret-stdin",
        input="client_secret=hemlig-klient\nhmac_key=hemlig-hmac\n",
    )  # fmt: skip
    listed = kompetenslyft("sync", "target", "list", "--organisation", org.slug).output

    assert result.exit_code == 0, result.output
    assert "https://hr.umea.example.se/api/v1 (oauth2, batch)" in listed
    assert "secrets stored sealed" in listed and "ESF-2026-0042" in listed
    assert "hemlig" not in result.output + listed
    (row,) = targets(db, org)
    assert "hemlig" not in row.sealed_secret
    secret_key = load_settings(environ=kompetenslyft.env).secret_key
    assert secrets_of(row, secret_key) == {
        "client_secret": "hemlig-klient",
        "hmac_key": "hemlig-hmac",
    }
    assert row.settings["batch_size"] == 50 and row.settings["mode"] == "batch"


def test_a_rest_target_without_its_hmac_key_is_refused_with_the_reason(kompetenslyft, db):
    org = organisation(db)
    result = kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "hr_rest",
        "--url", "https://hr.example.se/api", "--auth", "api_key", "--secret-stdin",
        input='{"api_key": "k"}',
    )  # fmt: skip

    assert result.exit_code != 0 and "hmac_key" in result.output
    assert targets(db, org) == []


def test_files_by_sftp_need_the_servers_host_key_and_may_read_secrets_from_the_environment(
    kompetenslyft, db
):
    org = organisation(db)
    base = (
        "sync", "target", "add", "--organisation", org.slug, "--kind", "hr_files",
        "--sftp-host", "sftp.umea.example.se", "--sftp-username", "kompetens",
        "--secret-env", "UMEA_HR_SFTP",
    )  # fmt: skip
    refused = kompetenslyft(*base)
    added = kompetenslyft(
        *base, "--sftp-host-key", "sftp.umea.example.se ssh-ed25519 AAAAC3Nza", "--delimiter", ","
    )

    assert refused.exit_code != 0 and "--sftp-host-key" in refused.output
    assert added.exit_code == 0, added.output
    assert "sftp://kompetens@sftp.umea.example.se:22/" in added.output
    assert "secrets from $UMEA_HR_SFTP" in added.output
    (row,) = targets(db, org)
    assert row.settings["sftp_host_key"] == "ssh-ed25519 AAAAC3Nza"
    assert secrets_of(row, "any", environ={"UMEA_HR_SFTP": "password=pw"}) == {"password": "pw"}


def test_removing_a_target_drops_what_waits_for_it(kompetenslyft, db, tmp_path):
    org = organisation(db)
    kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "hr_files",
        "--folder", str(tmp_path / "hr"),
    )  # fmt: skip
    (row,) = targets(db, org)
    event = CompletionEvent(
        organisation_id=org.id, source="lrs", source_key="s1", kind="activity",
        completed_at=utcnow(),
    )  # fmt: skip
    db.add(event)
    db.flush()
    key = f"{row.id}:{event.id}"
    enqueue(db, "hr.files", key, {"completion_event_id": event.id}, org.id)
    target_id = str(row.id)
    db.commit()

    other = kompetenslyft("sync", "target", "remove", target_id, "--organisation", "nowhere")
    result = kompetenslyft("sync", "target", "remove", target_id, "--organisation", org.slug)

    assert other.exit_code != 0
    assert result.exit_code == 0
    assert "1 record(s) waiting and 0 that had failed for good were not sent" in result.output
    assert targets(db, org) == []
    db.expire_all()
    assert db.scalars(select(Delivery).where(Delivery.key == key)).all() == []


def test_removing_a_target_counts_failed_records_as_failed_not_waiting(kompetenslyft, db, tmp_path):
    """Issue 17.8: a dead delivery is not "waiting"; the admin is told what had failed."""
    org = organisation(db)
    kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "hr_files",
        "--folder", str(tmp_path / "hr"),
    )  # fmt: skip
    (row,) = targets(db, org)
    for key in ("s1", "s2"):
        event = CompletionEvent(
            organisation_id=org.id, source="lrs", source_key=key, kind="activity",
            completed_at=utcnow(),
        )  # fmt: skip
        db.add(event)
        db.flush()
        enqueue(db, "hr.files", f"{row.id}:{event.id}", {"completion_event_id": event.id}, org.id)
    db.scalars(
        select(Delivery).where(Delivery.key.endswith(f":{event.id}"))
    ).one().status = DeliveryStatus.DEAD
    target_id = str(row.id)
    db.commit()

    result = kompetenslyft("sync", "target", "remove", target_id, "--organisation", org.slug)

    assert result.exit_code == 0
    assert "1 record(s) waiting and 1 that had failed for good were not sent" in result.output
