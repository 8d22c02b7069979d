"""The organisation administrator's page for what the organisation says about itself: the
colour the pages are themed with, the logo in the header, and the contact details and free
text of the accessibility statement and the privacy notice (storage.organisation_profiles,
whose `save_profile` owns the transaction).  A colour too light for white text, or for
text on white, is refused with a message naming its contrast and the 4.5:1 it needs.
"""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext

from lti_tool import csrf
from lti_tool.access import access_required, current_access
from lti_tool.database import db_session
from storage.organisation_profiles import (
    LANGUAGES,
    LOGO_LIMIT,
    MIN_CONTRAST,
    TEXT_PARTS,
    ProfileRefused,
    checked_profile,
    profile_of,
    save_profile,
)

bp = Blueprint("organisation_pages", __name__, url_prefix="/organisation")
LOGO_BYTES = LOGO_LIMIT * 3 // 4 - 100  # what fits the stored data: URL
csrf.UPLOAD_LIMITS["organisation_pages.save"] = LOGO_BYTES + 64_000

organisation_admin = access_required(lambda access: access.is_organisation_admin)


def _logo_data_url(data: bytes) -> str | None:
    """A PNG, JPEG or SVG file as a data: URL; None for anything else."""
    head = data[:512].lstrip()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:2048]:
        kind = "svg+xml"
    else:
        return None
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def _problem(refused: ProfileRefused) -> str:
    if refused.problem == "low_contrast":
        return gettext(
            "The colour %(colour)s is too light: white text on it, and it as text on white, "
            "has a contrast of %(ratio)s:1, and at least %(needed)s:1 is needed (WCAG 2.1). "
            "Choose a darker shade.",
            colour=refused.details["value"],
            ratio=format_decimal(round(refused.details["ratio"], 1)),
            needed=format_decimal(MIN_CONTRAST),
        )
    if refused.problem == "not_a_colour":
        return gettext(
            "Write the colour as a hex code, for example #0062ba (“%(value)s” is not one).",
            value=refused.details["value"],
        )
    if refused.problem == "too_long":
        return gettext("The text is too long: at most %(limit)s characters.", **refused.details)
    if refused.problem == "bad_logo":
        return gettext(
            "The logo must be a PNG, JPEG or SVG file of at most %(limit)s kB.",
            limit=LOGO_BYTES // 1000,
        )
    if refused.field == "contact_email":
        return gettext("Write an e-mail address, for example tillganglighet@kommun.se.")
    return gettext("Write a phone number with digits, for example 010-123 45 67.")


def _form_values() -> dict:
    return {
        "colour": request.form.get("colour", ""),
        "contact_email": request.form.get("contact_email", ""),
        "contact_phone": request.form.get("contact_phone", ""),
        "texts": {
            part: {lang: request.form.get(f"{part}_{lang}", "") for lang in LANGUAGES}
            for part in TEXT_PARTS
        },
    }


@bp.get("/pages")
@organisation_admin
def edit():
    access = current_access()
    profile = profile_of(db_session(), access.organisation.id)
    values = {
        "colour": profile.colour,
        "contact_email": profile.contact_email or "",
        "contact_phone": profile.contact_phone or "",
        "texts": profile.texts,
    }
    return render_template(
        "organisation/pages.html",
        organisation=access.organisation,
        profile=profile,
        values=values,
        problem=None,
    )


@bp.post("/pages")
@organisation_admin
def save():
    access = current_access()
    values = _form_values()
    stored = profile_of(db_session(), access.organisation.id)
    upload = request.files.get("logo")
    keep_logo = not request.form.get("remove_logo")
    logo = None
    try:
        if upload is not None and upload.filename:
            data = upload.read(LOGO_BYTES + 1)
            logo = _logo_data_url(data) if len(data) <= LOGO_BYTES else None
            if logo is None:
                raise ProfileRefused("logo", "bad_logo")
            keep_logo = False
        profile = checked_profile(logo=logo, **values)
    except ProfileRefused as refused:
        return render_template(
            "organisation/pages.html",
            organisation=access.organisation,
            profile=stored,
            values=values,
            problem=refused,
            problem_text=_problem(refused),
        ), 422
    save_profile(
        current_app.extensions["database"], access.organisation.id, profile, keep_logo=keep_logo
    )
    flash(gettext("Saved. The pages now show the new colour, logo and texts."))
    return redirect(url_for("organisation_pages.edit"))
