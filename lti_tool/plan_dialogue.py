"""What the development dialogue shows: the employee's levels beside their role profile's
targets and the chosen targets, and the learning activities for each competence.

The targets shown are the latest version's, or, before anything is saved, those of the
dialogue in progress: the form sent with "Show suggestions" (nothing is saved), or a role
profile chosen with "Use the role profile" (its targets filled in, still editable).  The
catalogue's activities for every competence are on the page; those of a competence whose
target lies above the current level are shown (a gap), recommended first, the others are
hidden until a target asks for them (static/plan-dialogue.js shows them at once; without
JavaScript "Show suggestions" does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import abort
from flask_babel import get_locale, gettext

from competence.frameworks import Framework, digcomp
from competence.plain_language import level_words
from competence.recommendations import recommend
from competence.texts import translated
from lti_tool.access import Access
from lti_tool.database import db_session
from lti_tool.results import level_name
from storage import Attempt, Employee
from storage.attempts import latest_submitted_attempt, load_instrument
from storage.catalogue import as_activity, catalogue_of, suits_role
from storage.frameworks import find_framework, role_profile_for
from storage.organisations import organisation_row
from storage.plans import DevelopmentPlan, PlanVersion, latest_plan
from storage.result_sharing import results_for_manager
from storage.role_profiles import offered_profiles
from storage.staff import current_employment

RECOMMENDED_PER_GAP = 3
SWEDEN = ZoneInfo("Europe/Stockholm")


def employee_in_scope(access: Access, employee_id: int) -> Employee:
    """The employee when the viewer is them or their manager; 404 for anyone else."""
    employee = organisation_row(db_session(), Employee, employee_id, access.organisation.id)
    if employee is None:
        abort(404)
    if not (is_self(access, employee) or access.manages(employee)):
        abort(404)
    return employee


def is_self(access: Access, employee: Employee) -> bool:
    return access.employee is not None and access.employee.id == employee.id


def language() -> str:
    return get_locale().language


@dataclass(frozen=True)
class CompetenceRow:
    id: str
    label: str
    level: int | None
    level_name: str
    profile_target: int | None
    agreed_target: int | None  # the latest version's, or the dialogue in progress's

    @property
    def gap(self) -> int:
        target = self.agreed_target if self.agreed_target is not None else self.profile_target
        return max(0, (target or 0) - (self.level or 0)) if target else 0


@dataclass(frozen=True)
class LevelSource:
    """The result a dialogue's current levels come from: which instrument, submitted when."""

    attempt_id: str
    instrument: str
    when: str  # the day in Sweden; with the time when the page's other result is of the same day


@dataclass
class Dialogue:
    employee: Employee
    framework: Framework
    attempt: object
    source: LevelSource | None  # where the current levels shown come from
    # To the employee: the result their manager's page shows (None: none is shared).
    manager_source: LevelSource | None
    role_title: str | None
    profile: object  # the role profile compared with: the role's, or the one chosen
    profiles: list  # every role profile the dialogue may use (the organisation's first)
    plan: DevelopmentPlan | None
    latest: PlanVersion | None
    rows: list[CompetenceRow]
    # competence -> [(activity, recommended)], every competence the catalogue builds
    options: dict[str, list[tuple[object, bool]]]
    shown: set[str]  # the competences whose activities show now (a gap, or one chosen)
    chosen: set[int]  # the activities ticked
    manager_name: str | None
    profile_applied: bool = False  # the targets were just filled from `profile`
    # The profile the chooser offers first: the one compared with, else one named as the role.
    suggested_profile: object = None


def build_dialogue(
    access: Access,
    employee: Employee,
    lang: str,
    *,
    form: Mapping | None = None,
    profile_key: str | None = None,
) -> Dialogue:
    """The dialogue as saved, or as in progress: `form` (the dialogue's fields sent back,
    nothing saved) gives targets and ticked activities; `profile_key` fills the targets from
    that role profile."""
    session = db_session()
    employment = current_employment(session, employee.id)
    role_title = employment.role_title if employment else None
    profile = role_profile_for(session, employee.organisation_id, role_title)
    attempt = manager_attempt = None
    if employee.person_id:
        shared = results_for_manager(session, employee.organisation_id, employee.person_id)
        manager_attempt = shared.results[0] if shared.results else None
        attempt = (
            latest_submitted_attempt(session, employee.person_id)
            if is_self(access, employee)
            else manager_attempt
        )
    if attempt is not None:
        framework = load_instrument(session, attempt.instrument_id).framework
    else:
        framework = (
            find_framework(session, profile.framework_key, employee.organisation_id)
            if profile
            else None
        ) or digcomp()
    profiles = offered_profiles(session, employee.organisation_id, framework.id)
    wanted = profile_key or (form.get("role_profile") if form else None)
    chosen_profile = next((p for p in profiles if wanted and p.key == wanted), None)
    profile = chosen_profile or profile
    plan = latest_plan(session, employee.id)
    latest = plan.versions[-1] if plan and plan.versions else None
    levels = (attempt.result or {}).get("competences", {}) if attempt else {}
    profile_targets = (
        dict(profile.targets) if profile and profile.framework_key == framework.id else {}
    )
    if profile_key and chosen_profile is not None:
        targets = dict(profile_targets)
    elif form is not None:
        targets = _form_targets(form, framework)
    else:
        targets = dict(latest.targets) if latest else {}
    rows = []
    for competence in framework.competences:
        level = levels.get(competence.id, {}).get("level")
        rows.append(
            CompetenceRow(
                id=competence.id,
                label=competence.label(lang),
                level=level,
                # In plain words, as the results page says it: "1 – Grundläggande".
                level_name=(
                    level_words(framework, level, lang).name
                    if attempt and level is not None
                    else level_name(framework, level, lang)
                    if attempt
                    else "–"
                ),
                profile_target=profile_targets.get(competence.id),
                agreed_target=targets.get(competence.id),
            )
        )
    if form is not None:
        chosen = {_activity_id(value) for value in form.getlist("activity")} - {None}
    else:
        chosen = {item.get("activity_id") for item in (latest.items if latest else [])}
    options, shown = _options(session, employee, framework, role_title, rows, chosen, lang)
    manager = employment.manager if employment else None
    return Dialogue(
        employee=employee,
        framework=framework,
        attempt=attempt,
        source=level_source(attempt, manager_attempt, lang),
        manager_source=level_source(manager_attempt, attempt, lang),
        role_title=role_title,
        profile=profile,
        profiles=profiles,
        plan=plan,
        latest=latest,
        rows=rows,
        options=options,
        shown=shown,
        chosen=chosen,
        manager_name=manager.name if manager else None,
        profile_applied=bool(profile_key and chosen_profile is not None),
        suggested_profile=profile or _named_as(profiles, role_title),
    )


def _named_as(profiles: list, role_title: str | None):
    """The first profile whose key, or name in any language, is the role title."""
    wanted = (role_title or "").strip().casefold()
    if not wanted:
        return None
    for profile in profiles:
        names = [profile.key, *(profile.name or {}).values()]
        if any(str(name).strip().casefold() == wanted for name in names):
            return profile
    return None


def _options(session, employee, framework, role_title, rows, chosen, lang):
    """Every activity of the role's catalogue per competence it builds, recommended first
    (for the person's level), and the competences whose activities show now."""
    catalogue = [
        row
        for row in catalogue_of(session, employee.organisation_id, framework_key=framework.id)
        if suits_role(row, role_title)
    ]
    options: dict[str, list] = {}
    shown: set[str] = set()
    for row in rows:
        builds_it = [a for a in catalogue if any(b["competence"] == row.id for b in a.builds)]
        if not builds_it:
            continue
        recommended_ids = {
            found.id
            for found in recommend(
                [as_activity(a) for a in builds_it],
                row.id,
                row.level,
                lang,
                limit=RECOMMENDED_PER_GAP,
            )
        }
        builds_it.sort(key=lambda a: (a.id not in recommended_ids, a.language != lang, a.title))
        options[row.id] = [(a, a.id in recommended_ids) for a in builds_it]
        if row.gap or any(a.id in chosen for a in builds_it):
            shown.add(row.id)
    return options, shown


def _form_targets(form: Mapping, framework: Framework) -> dict[str, int]:
    """The targets chosen in the form; a value that is no level is left out (saving says
    what is wrong)."""
    targets = {}
    top = framework.scale.max_level
    for competence in framework.competences:
        raw = (form.get(f"target-{competence.id}") or "").strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= len(str(top)) and int(raw) <= top:
            targets[competence.id] = int(raw)
    return targets


def _activity_id(value: str) -> int | None:
    _, _, number = (value or "").partition(":")
    return int(number) if number.isascii() and number.isdigit() and len(number) <= 10 else None


def level_source(attempt: Attempt | None, other: Attempt | None, lang: str) -> LevelSource | None:
    """Which result levels come from, told apart from `other` (the other side's result)."""
    if attempt is None:
        return None
    loaded = load_instrument(db_session(), attempt.instrument_id)
    moment = attempt.submitted_at.astimezone(SWEDEN)
    locale = get_locale()
    when = babel_dates.format_date(moment.date(), "long", locale=locale)
    if (
        other is not None
        and other.id != attempt.id
        and other.submitted_at.astimezone(SWEDEN).date() == moment.date()
    ):
        time = babel_dates.format_time(moment, "HH:mm", locale=locale)
        when = gettext("%(date)s at %(time)s", date=when, time=time)
    return LevelSource(attempt.id, translated(loaded.instrument.name, lang), when)
