"""Retention: the nightly job removes what is older than its configured period, keeps
what is newer, and results still show after raw answers and launches are gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from config import SettingsError, load_settings
from storage import Answer, Attempt, AuditEvent, Delivery, Launch, LoginNonce, Person, utcnow
from storage.outbox import DeliveryStatus
from sync.scheduler import JobRunner, default_jobs
from tests.support import staff
from tests.support.assessing import answer_all, start, submit, table_levels

OLD = staff.person_claims("olga-1", "Olga Old", "olga@example.invalid")
NEW = staff.person_claims("nils-2", "Nils New", "nils@example.invalid")
GRADES = {
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitem": "https://platform.example.invalid/lineitems/1",
    }
}


def assessed(platform, browser, tool_url, claims):
    assert platform.launch(browser, **claims, **GRADES).status_code == 200
    results = submit(browser, answer_all(browser, start(browser, tool_url), lambda o: o[1]))
    assert results.status_code == 200
    return results


def test_the_nightly_job_removes_only_what_is_past_its_period(
    platform, browser, other_browser, tool_url, db, database, settings
):
    old_results = assessed(platform, browser, tool_url, OLD)
    assessed(platform, other_browser, tool_url, NEW)
    olga = db.scalar(select(Person).where(Person.subject == OLD["sub"]))
    nils = db.scalar(select(Person).where(Person.subject == NEW["sub"]))
    long_ago = utcnow() - timedelta(days=800)  # past every default period
    db.execute(update(Attempt).where(Attempt.person_id == olga.id).values(submitted_at=long_ago))
    db.execute(update(Launch).where(Launch.person_id == olga.id).values(created_at=long_ago))
    db.execute(update(LoginNonce).values(expires_at=utcnow() - timedelta(days=2)))
    db.execute(
        update(Delivery)
        .where(Delivery.target == "ags.score")
        .values(status=DeliveryStatus.DELIVERED, delivered_at=utcnow())
    )
    db.execute(
        update(Delivery)
        .where(
            Delivery.target == "ags.score",
            Delivery.payload["score"]["userId"].as_string() == OLD["sub"],
        )
        .values(delivered_at=long_ago)
    )
    db.add_all(
        [
            AuditEvent(action="view_results", subject_person_id=olga.id, at=long_ago, detail={}),
            AuditEvent(action="view_results", subject_person_id=nils.id, at=utcnow(), detail={}),
        ]
    )
    db.commit()
    olga_attempt = db.scalar(select(Attempt).where(Attempt.person_id == olga.id))
    nils_attempt = db.scalar(select(Attempt).where(Attempt.person_id == nils.id))
    nils_answers = db.scalar(select(func.count()).where(Answer.attempt_id == nils_attempt.id))
    # One fresh login in progress: its nonce is not old.
    platform.start_login(browser)

    runner = JobRunner(settings, database, default_jobs(settings))
    assert runner.run("retention") == "ok"

    db.expire_all()
    assert db.scalar(select(func.count()).where(Answer.attempt_id == olga_attempt.id)) == 0
    assert db.scalar(select(func.count()).where(Answer.attempt_id == nils_attempt.id)) == (
        nils_answers
    )
    assert db.scalars(select(Launch.person_id)).all() == [nils.id]
    assert db.scalar(select(func.count()).select_from(LoginNonce)) == 1
    payloads = {
        (d.payload.get("score") or {}).get("userId"): d
        for d in db.scalars(select(Delivery).where(Delivery.target == "ags.score"))
    }
    assert set(payloads) == {None, NEW["sub"]}  # Olga's sent score: only the row is left
    assert payloads[None].status is DeliveryStatus.DELIVERED
    assert [e.subject_person_id for e in db.scalars(select(AuditEvent))] == [nils.id]

    # Olga opens the tool again: her result is still there, levels and all.
    assert platform.launch(browser, **OLD).status_code == 200
    again = browser.get(old_results.url)
    assert again.status_code == 200
    assert table_levels(again) == table_levels(old_results)


def test_zero_keeps_for_good_and_a_negative_period_is_refused(settings, database):
    keep = replace(settings, retention_answers_days=0, retention_launches_days=0)
    assert JobRunner(keep, database, default_jobs(keep)).run("retention") == "ok"
    with pytest.raises(SettingsError, match="retention_audit_days"):
        load_settings(
            environ={"KOMPETENSLYFT_RETENTION_AUDIT_DAYS": "-1"}, overrides={"mode": "development"}
        )
