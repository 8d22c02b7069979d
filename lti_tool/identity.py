"""Who the pages belong to, and the pages every visitor may read.

Every page's header names the organisation of the launch (with its logo when it has one)
and lists, as navigation, the pages the person's roles open; the pages are themed with the
organisation's colour (`/theme/<slug>.css`, a stylesheet: the CSP allows no inline style).
The footer links the accessibility statement (`/accessibility`, in DIGG's structure, as
the DOS act, lag 2018:1937, requires of public bodies) and the privacy notice (`/privacy`).
Both are readable without a launch: someone who cannot use the service must be able to read
how to report it.  Opened from a footer link they name the organisation (`?org=<slug>`),
so a bookmarked statement still shows that organisation's contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext

from lti_tool.access import current_access
from lti_tool.auth import current_launch
from lti_tool.database import db_session
from storage.organisation_profiles import Profile, organisation_by_slug, profile_of
from storage.organisations import Organisation

bp = Blueprint("identity", __name__)
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"
# When the default statement (no organisation has reviewed its own) was made.
STATEMENT_MADE_ON = date(2026, 12, 7)


@dataclass(frozen=True)
class Identity:
    """The organisation the page speaks for (None: the tool itself, no organisation)."""

    organisation: Organisation | None
    profile: Profile

    @property
    def name(self) -> str | None:
        return self.organisation.name if self.organisation else None

    @property
    def slug(self) -> str | None:
        return self.organisation.slug if self.organisation else None


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    testid: str


# The pages of the header's navigation, each with who may open it.
_NAV = (
    ("home.index", lazy_gettext("Start"), "nav-start", lambda a: True),
    ("plans.my_plan", lazy_gettext("My development plan"), "nav-plan", lambda a: True),
    ("team.index", lazy_gettext("Your team"), "nav-team", lambda a: a.is_manager),
    (
        "programme.index",
        lazy_gettext("Programme follow-up"),
        "nav-programme",
        lambda a: a.is_programme_lead,
    ),
    (
        "catalogue.index",
        lazy_gettext("Activity catalogue"),
        "nav-catalogue",
        lambda a: a.is_programme_lead,
    ),
    (
        "organisation.index",
        lazy_gettext("Organisation"),
        "nav-organisation",
        lambda a: a.is_organisation_admin,
    ),
    (
        "admin.index",
        lazy_gettext("Administration"),
        "admin-link",
        lambda a: a.platform_role == "administrator",
    ),
)


def current_identity() -> Identity:
    from flask import g

    if "identity" not in g:
        organisation = None
        launch = current_launch()
        if launch is not None and launch.registration is not None:
            organisation = launch.registration.organisation
        elif request.args.get("org"):
            organisation = organisation_by_slug(db_session(), request.args["org"][:64])
        g.identity = Identity(
            organisation, profile_of(db_session(), organisation.id if organisation else None)
        )
    return g.identity


# While answering, the question is the page: no other pages to wander to between questions
# (as on GOV.UK's question pages); the start page and the footer are a step away.
_FOCUSED_PAGES = {"assessment.item", "assessment.review"}


def site_navigation() -> list[NavItem]:
    """The header's pages for the launch's person (none without a launch)."""
    access = current_access()
    if access is None or request.endpoint in _FOCUSED_PAGES:
        return []
    return [NavItem(e, str(label), t) for e, label, t, allowed in _NAV if allowed(access)]


def _in_section(endpoint: str) -> bool:
    """The page shown is the navigation item's."""
    return request.endpoint == endpoint


@bp.app_context_processor
def identity_helpers():
    return {
        "identity": current_identity,
        "site_navigation": site_navigation,
        "in_section": _in_section,
        "theme_url": theme_url,
    }


@bp.get("/accessibility")
def accessibility_statement():
    identity = current_identity()
    language = get_locale().language
    return render_template(
        "identity/accessibility.html",
        shortcomings=identity.profile.text("shortcomings", language),
        digg_report_url=DIGG_REPORT_URL,
        statement_made_on=STATEMENT_MADE_ON,
    )


# Links and text use the colour 20 % darker, so they keep 4.5:1 on the tinted backgrounds too.
_THEME = """/* {name}: the organisation's colour ({colour}, {ratio:.1f}:1 against white). */
:root, [data-color-scheme], [data-color=accent] {{
  --ds-color-accent-base-default: {colour};
  --ds-color-accent-base-hover: {hover};
  --ds-color-accent-base-active: {active};
  --ds-color-accent-text-subtle: {hover};
  --ds-color-accent-border-strong: {colour};
  --ds-color-accent-border-default: {colour};
  --ds-color-accent-text-default: {active};
  --ds-color-accent-background-tinted: {tint};
  --ds-color-accent-surface-tinted: {surface};
  --ds-color-accent-surface-hover: {surface};
  --site-accent: {colour};
}}
"""


def _mix(colour: str, other: tuple[int, int, int], share: float) -> str:
    """`colour` moved `share` of the way towards `other` (RGB)."""
    digits = colour.lstrip("#")
    rgb = [int(digits[i : i + 2], 16) for i in (0, 2, 4)]
    mixed = (round(c + (o - c) * share) for c, o in zip(rgb, other, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def theme_css(name: str, profile: Profile) -> str:
    from storage.organisation_profiles import contrast_with_white

    colour = profile.colour
    black, white = (0, 0, 0), (255, 255, 255)
    return _THEME.format(
        name=name.replace("*/", ""),
        colour=colour,
        ratio=contrast_with_white(colour),
        hover=_mix(colour, black, 0.2),
        active=_mix(colour, black, 0.4),
        tint=_mix(colour, white, 0.93),
        surface=_mix(colour, white, 0.85),
    )


@bp.get("/theme/<slug>.css")
def theme(slug: str):
    organisation = organisation_by_slug(db_session(), slug[:64])
    if organisation is None:
        abort(404)
    css = theme_css(organisation.name, profile_of(db_session(), organisation.id))
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/favicon.ico")
def favicon():
    return current_app.send_static_file("favicon.ico")


def theme_url() -> str | None:
    identity = current_identity()
    if identity.organisation is None:
        return None
    return url_for("identity.theme", slug=identity.slug, v=identity.profile.colour.lstrip("#"))
