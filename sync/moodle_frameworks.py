"""The tool's competency framework made in an organisation's Moodle, so nobody imports a CSV
by hand first: the admin's "Create the framework in Moodle" (organisation page and
`kompetenslyft sync target create-framework`), and the Moodle plan sender when the target
allows it (sync/moodle_plans.py).

Idempotent: what Moodle has (matched by ID number) is left alone, only what is missing is
created, through core_competency_create_competency_framework and
core_competency_create_competency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
from sqlalchemy.orm import Session

from competence.framework_io import AREA_PREFIX, default_proficient_from
from competence.frameworks import Framework, digcomp
from storage.completions import SyncTarget
from sync.moodle_ws import MoodleWs, moodle_of

SYSTEM_CONTEXT = 1


def new_framework(
    moodle: MoodleWs, framework: Framework, idnumber: str, scale_id: int
) -> tuple[dict, int]:
    """core_competency_create_competency_framework on a Moodle scale; (the row, scale size).

    Parameters as Moodle's competency_framework persistent takes them: shortname,
    idnumber, scaleid, scaleconfiguration (JSON: [{"scaleid"}, {"id", "scaledefault",
    "proficient"}, ...]), contextid, visible."""
    values = moodle.call("core_competency_get_scale_values", scaleid=scale_id)
    size = len(values)
    proficient_from = default_proficient_from(framework.scale)
    first = proficient_from if size == framework.scale.max_level else min(2, size)
    configuration = [{"scaleid": scale_id}] + [
        {"id": value, "scaledefault": int(value == first), "proficient": 1}
        for value in range(first, size + 1)
    ]
    row = moodle.call(
        "core_competency_create_competency_framework",
        competencyframework={
            "shortname": framework.name.get("sv") or framework.id,
            "idnumber": idnumber,
            "scaleid": scale_id,
            "scaleconfiguration": json.dumps(configuration),
            "contextid": SYSTEM_CONTEXT,
            "visible": 1,
        },
    )
    return row, size


def new_competency(moodle: MoodleWs, framework_id: int, idnumber: str, name, parent: int) -> int:
    """core_competency_create_competency: one competency (or area, parent 0) by ID number."""
    row = moodle.call(
        "core_competency_create_competency",
        competency={
            "shortname": (name.get("sv") or idnumber)[:100],
            "idnumber": idnumber,
            "competencyframeworkid": framework_id,
            "parentid": parent,
        },
    )
    return int(row["id"])


DEFAULT_SCALE_ID = 2  # Moodle's "Default competence scale": Not yet competent, Competent


@dataclass(frozen=True)
class FrameworkInMoodle:
    """What `create_framework_in_moodle` found and made."""

    idnumber: str
    framework_created: bool
    competencies_created: int
    competencies_found: int


def create_framework_in_moodle(
    session: Session,
    target: SyncTarget,
    http: requests.Session,
    secret_key: str,
    scale_id: int | None = None,
) -> FrameworkInMoodle:
    """Make the tool's framework and all its competencies in the target's Moodle, so nobody
    imports a CSV by hand first.  Idempotent: what Moodle has (matched by ID number, with
    the target's competency prefix) is left alone, only what is missing is created.

    Raises MoodleError / MoodleUnavailable / CredentialsUnavailable for the caller to word."""
    settings = target.settings or {}
    framework = digcomp()
    idnumber = settings.get("framework_idnumber") or framework.id
    prefix = settings.get("competency_prefix", "")
    moodle = moodle_of(target, http, secret_key)
    found = frameworks_with_idnumber(moodle, idnumber)
    if found:
        framework_id, created_framework = int(found[0]["id"]), False
    else:
        scale = int(scale_id or settings.get("scale_id") or DEFAULT_SCALE_ID)
        row, _size = new_framework(moodle, framework, idnumber, scale)
        framework_id, created_framework = int(row["id"]), True
    existing = {
        row["idnumber"]: int(row["id"])
        for row in moodle.call(
            "core_competency_list_competencies",
            filters=[{"column": "competencyframeworkid", "value": framework_id}],
        )
    }
    created = found_count = 0
    for area in framework.areas:
        area_number = prefix + AREA_PREFIX + area.id
        for competence in area.competences:
            number = prefix + competence.id
            if number in existing:
                found_count += 1
                continue
            if area_number not in existing:
                existing[area_number] = new_competency(
                    moodle, framework_id, area_number, area.name, 0
                )
            existing[number] = new_competency(
                moodle, framework_id, number, competence.name, existing[area_number]
            )
            created += 1
    target.settings = {**settings, "framework_idnumber": idnumber}
    session.commit()
    return FrameworkInMoodle(idnumber, created_framework, created, found_count)


def frameworks_with_idnumber(moodle: MoodleWs, idnumber: str) -> list[dict]:
    """Moodle's competency frameworks (system context) whose idnumber is ours: how both
    creating the framework and the plan sync find the one made before."""
    return [
        row
        for row in moodle.call(
            "core_competency_list_competency_frameworks",
            sort="shortname",
            context={"contextid": SYSTEM_CONTEXT},
            includes="children",
        )
        if row.get("idnumber") == idnumber
    ]
