"""An organisation's own frameworks and role profiles, stored whole or not at all."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.frameworks import Framework, digcomp, framework_from_document
from competence.instruments import instrument_from_document
from competence.texts import DocumentError, require_text
from storage.assessments import FrameworkVersion, InstrumentVersion, RoleProfile


class AlreadyStored(Exception):
    """This framework version is already stored; a changed framework needs a new version."""


def _refuse_stored_version(
    session: Session, model: type, organisation_id: int, key: str, version: str
) -> None:
    """Stored versions never change: a changed document must come with a new version."""
    found = session.scalar(
        select(model.id).where(
            model.organisation_id == organisation_id, model.key == key, model.version == version
        )
    )
    if found is not None:
        raise AlreadyStored(f"{key} version {version}")


def save_framework(
    session: Session, organisation_id: int, framework: Framework
) -> FrameworkVersion:
    _refuse_stored_version(
        session, FrameworkVersion, organisation_id, framework.id, framework.version
    )
    row = FrameworkVersion(
        organisation_id=organisation_id,
        key=framework.id,
        version=framework.version,
        document=framework.to_document(),
    )
    session.add(row)
    session.flush()
    return row


def find_framework(session: Session, key: str, organisation_id: int | None) -> Framework | None:
    """The organisation's newest stored version of a framework, else a shipped one."""
    row = _newest_framework_row(session, key, organisation_id)
    if row is not None:
        return framework_from_document(row.document)
    return digcomp() if key == digcomp().id else None


def _newest_framework_row(
    session: Session, key: str, organisation_id: int | None
) -> FrameworkVersion | None:
    return session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.key == key, FrameworkVersion.organisation_id == organisation_id)
        .order_by(FrameworkVersion.created_at.desc(), FrameworkVersion.id.desc())
        .limit(1)
    ).first()


def save_instrument(session: Session, organisation_id: int, document: object) -> InstrumentVersion:
    """Store an organisation's instrument over one of its own frameworks (newest version)."""
    if not isinstance(document, dict):
        raise DocumentError("instrument: must be a JSON object")
    framework_row = _newest_framework_row(session, str(document.get("framework")), organisation_id)
    if framework_row is None:
        raise DocumentError(
            f"instrument.framework: {document.get('framework')!r} is not imported for the "
            "organisation; import the framework first"
        )
    instrument = instrument_from_document(document, framework_from_document(framework_row.document))
    _refuse_stored_version(
        session, InstrumentVersion, organisation_id, instrument.id, instrument.version
    )
    row = InstrumentVersion(
        organisation_id=organisation_id,
        framework_id=framework_row.id,
        key=instrument.id,
        version=instrument.version,
        document=document,
    )
    session.add(row)
    session.flush()
    return row


def find_instrument_row(
    session: Session, key: str, organisation_id: int
) -> InstrumentVersion | None:
    """The organisation's newest version of one of its own instruments."""
    return session.scalars(
        select(InstrumentVersion)
        .where(InstrumentVersion.key == key, InstrumentVersion.organisation_id == organisation_id)
        .order_by(InstrumentVersion.created_at.desc(), InstrumentVersion.id.desc())
        .limit(1)
    ).first()


def save_role_profile(session: Session, organisation_id: int, document: object) -> RoleProfile:
    """Create or replace a role profile after checking its targets against the framework.

    {"key": "handlaggare", "framework": "digcomp-2.2", "name": {"sv": "Handläggare"},
     "targets": {"1.1": 4, "4.2": 5}}
    """
    if not isinstance(document, dict):
        raise DocumentError("role profile: must be a JSON object")
    key = document.get("key")
    if not isinstance(key, str) or not key.strip():
        raise DocumentError("role profile.key: required")
    framework = find_framework(session, str(document.get("framework")), organisation_id)
    if framework is None:
        raise DocumentError(f"role profile.framework: {document.get('framework')!r} is not known")
    name = require_text(document.get("name"), "role profile.name")
    targets = document.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise DocumentError("role profile.targets: needs competence: level pairs")
    known = {c.id for c in framework.competences}
    problems = [
        f"role profile.targets.{competence}: "
        + ("not in the framework" if competence not in known else "level out of range")
        for competence, level in targets.items()
        if competence not in known
        or not isinstance(level, int)
        or not 1 <= level <= framework.scale.max_level
    ]
    if problems:
        raise DocumentError("; ".join(problems))
    profile = session.scalar(
        select(RoleProfile).where(
            RoleProfile.organisation_id == organisation_id, RoleProfile.key == key
        )
    ) or RoleProfile(organisation_id=organisation_id, key=key)
    profile.framework_key = framework.id
    profile.name = name
    profile.targets = dict(targets)
    session.add(profile)
    session.flush()
    return profile
