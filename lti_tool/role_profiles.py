"""The organisation administrator's role profiles: the target level per competence of each
role (yrkesroll), so a development dialogue starts from the role's targets instead of 21
levels set by hand.

The tool ships starting points for common municipal roles (competence.role_profiles); the
administrator copies one, renames it and changes its levels.  Each change is an action of
its own (actions.role_profiles), written to the audit log.  A profile whose key or name is
a person's role title from HR is the one their dialogue compares with.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from actions.role_profiles import copy_role_profile, save_role_profile_change
from competence.role_profiles import NAME_MAX, about, profile_from_form, starting_points
from competence.texts import translated
from lti_tool.access import access_required, current_access
from lti_tool.database import db_session
from storage.frameworks import find_framework
from storage.role_profiles import organisation_profiles, own_profile

bp = Blueprint("role_profiles", __name__, url_prefix="/organisation/role-profiles")
organisation_admin = access_required(lambda access: access.is_organisation_admin)


@bp.get("/")
@organisation_admin
def index():
    access = current_access()
    lang = get_locale().language
    own = organisation_profiles(db_session(), access.organisation.id)
    return render_template(
        "organisation/role_profiles.html",
        profiles=own,
        starting_points=starting_points(),
        about=translated(about(), lang),
        copied={profile.key for profile in own},
    )


@bp.post("/copy")
@organisation_admin
def copy():
    access = current_access()
    profile = copy_role_profile(
        db_session(),
        access.organisation.id,
        request.form.get("key", ""),
        by_person_id=access.person.id,
    )
    if profile is None:
        abort(404)
    flash(
        gettext(
            "The role profile %(name)s is copied. Change its name and levels below.",
            name=translated(profile.name, get_locale().language),
        )
    )
    return redirect(url_for(".edit", profile_id=profile.id), 303)


@bp.get("/<int:profile_id>")
@organisation_admin
def edit(profile_id: int):
    profile, framework = _profile_and_framework(profile_id)
    return render_template(
        "organisation/role_profile.html",
        profile=profile,
        framework=framework,
        names=dict(profile.name),
        targets=dict(profile.targets),
        errors=[],
        name_max=NAME_MAX,
    )


@bp.post("/<int:profile_id>")
@organisation_admin
def save(profile_id: int):
    access = current_access()
    profile, framework = _profile_and_framework(profile_id)
    max_level = framework.scale.max_level
    names, targets, problems = profile_from_form(
        request.form, [c.id for c in framework.competences], max_level
    )
    if problems:
        errors = []
        if problems.names_missing:
            errors.append(gettext("Give the role profile a name."))
        if problems.name_too_long:
            errors.append(gettext("A name may be at most %(max)s characters.", max=NAME_MAX))
        if problems.bad_levels:
            errors.append(
                gettext(
                    "A target must be a level from 1 to %(max)s (competence %(ids)s).",
                    max=max_level,
                    ids=", ".join(problems.bad_levels),
                )
            )
        if problems.no_targets:
            errors.append(gettext("Give a target level for at least one competence."))
        page = render_template(
            "organisation/role_profile.html",
            profile=profile,
            framework=framework,
            names=names,
            targets={c.id: request.form.get(f"target-{c.id}", "") for c in framework.competences},
            errors=errors,
            name_max=NAME_MAX,
        )
        return page, 400
    save_role_profile_change(
        db_session(),
        access.organisation.id,
        profile.id,
        names=names,
        targets=targets,
        by_person_id=access.person.id,
    )
    flash(gettext("The role profile is saved."))
    return redirect(url_for(".index"), 303)


def _profile_and_framework(profile_id: int):
    access = current_access()
    session = db_session()
    profile = own_profile(session, access.organisation.id, profile_id)
    if profile is None:
        abort(404)
    framework = find_framework(session, profile.framework_key, access.organisation.id)
    if framework is None:
        abort(404)
    return profile, framework
