"""What an organisation says about itself on every page: its colour, logo, and the contact
details and free text of its accessibility statement and privacy notice.

One row per organisation, made when an organisation administrator first saves the form
(`save_profile`, which owns its transaction); an organisation without a row gets the
defaults (`profile_of`).  The colour is refused when white text on it, or it as text on
white, has a contrast under 4.5:1 (WCAG 2.1 1.4.3): the theme uses it both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, Database, JSONDocument, UTCDateTime, utcnow

DEFAULT_COLOUR = "#0062ba"  # Designsystemet's own accent: 6.1:1 against white
MIN_CONTRAST = 4.5
TEXT_LIMIT = 4000
CONTACT_LIMIT = 255
LOGO_LIMIT = 100_000  # characters of the logo's data: URL
LANGUAGES = ("sv", "en")
# The free-text parts an administrator may write, per language.
TEXT_PARTS = ("shortcomings", "privacy_extra")
_COLOUR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9+()\- ]{5,40}")
_LOGO = re.compile(r"data:image/(png|svg\+xml|jpeg);base64,[A-Za-z0-9+/=]+")


class OrganisationProfile(Base):
    __tablename__ = "organisation_profiles"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    colour: Mapped[str | None] = mapped_column(String(7))
    logo: Mapped[str | None] = mapped_column(Text)  # a data: URL (PNG, SVG or JPEG)
    contact_email: Mapped[str | None] = mapped_column(String(CONTACT_LIMIT))
    contact_phone: Mapped[str | None] = mapped_column(String(CONTACT_LIMIT))
    # {"shortcomings": {"sv": "...", "en": "..."}, "privacy_extra": {...}}
    texts: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    statement_reviewed_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Profile:
    """An organisation's profile as the pages use it (defaults filled in)."""

    colour: str = DEFAULT_COLOUR
    logo: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    texts: dict = field(default_factory=dict)
    statement_reviewed_on: date | None = None

    def text(self, part: str, language: str) -> str:
        return (self.texts.get(part) or {}).get(language, "")


class ProfileRefused(ValueError):
    """What the form must say (`problem`, a key the page translates) and about which field."""

    def __init__(self, field_name: str, problem: str, **details):
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem
        self.details = details


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    r, g, b = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of the colour against white (1 … 21)."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def normalised_colour(text: str) -> str:
    """'#1a2B3c', '1a2b3c' or '#abc' → '#1a2b3c'; refused when it is no colour or too light."""
    found = _COLOUR.fullmatch(text.strip())
    if not found:
        raise ProfileRefused("colour", "not_a_colour", value=text.strip()[:20])
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    colour = "#" + digits
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise ProfileRefused("colour", "low_contrast", value=colour, ratio=ratio)
    return colour


def profile_of(session: Session, organisation_id: int | None) -> Profile:
    row = session.get(OrganisationProfile, organisation_id) if organisation_id else None
    if row is None:
        return Profile()
    return Profile(
        colour=row.colour or DEFAULT_COLOUR,
        logo=row.logo,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        texts=dict(row.texts or {}),
        statement_reviewed_on=row.statement_reviewed_on,
    )


def _contact(value: str, pattern: re.Pattern, field_name: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > CONTACT_LIMIT or not pattern.fullmatch(value):
        raise ProfileRefused(field_name, "invalid", value=value[:60])
    return value


def checked_profile(
    *,
    colour: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    texts: dict | None = None,
    logo: str | None = None,
    statement_reviewed_on: date | None = None,
) -> Profile:
    """The form's values checked (ProfileRefused names the first problem)."""
    clean_texts: dict = {}
    for part in TEXT_PARTS:
        for language in LANGUAGES:
            value = ((texts or {}).get(part) or {}).get(language, "").strip()
            if len(value) > TEXT_LIMIT:
                raise ProfileRefused(f"{part}_{language}", "too_long", limit=TEXT_LIMIT)
            if value:
                clean_texts.setdefault(part, {})[language] = value
    if logo is not None and logo and (len(logo) > LOGO_LIMIT or not _LOGO.fullmatch(logo)):
        raise ProfileRefused("logo", "bad_logo", limit=LOGO_LIMIT // 1000)
    return Profile(
        colour=normalised_colour(colour) if colour.strip() else DEFAULT_COLOUR,
        logo=logo or None,
        contact_email=_contact(contact_email, _EMAIL, "contact_email"),
        contact_phone=_contact(contact_phone, _PHONE, "contact_phone"),
        texts=clean_texts,
        statement_reviewed_on=statement_reviewed_on,
    )


def save_profile(
    database: Database, organisation_id: int, profile: Profile, *, keep_logo: bool = False
) -> Profile:
    """Store the organisation's profile (checked by `checked_profile`) in one transaction.

    keep_logo: the form sent no new logo, so the stored one stays."""
    with database.transaction() as session:
        row = session.get(OrganisationProfile, organisation_id)
        if row is None:
            row = OrganisationProfile(organisation_id=organisation_id, texts={})
            session.add(row)
        row.colour = profile.colour
        if not keep_logo:
            row.logo = profile.logo
        row.contact_email = profile.contact_email
        row.contact_phone = profile.contact_phone
        row.texts = profile.texts
        row.statement_reviewed_on = profile.statement_reviewed_on or _today()
        session.flush()
        return profile_of(session, organisation_id)


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


def organisation_by_slug(session: Session, slug: str):
    from storage.organisations import Organisation

    return session.scalar(select(Organisation).where(Organisation.slug == slug))
