"""The dev platform's people, courses, registration and id_token signing (no Flask here)."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti import claims as c
from lti.platforms import NewOrganisation, PlatformEndpoints, register_platform
from storage import Organisation, PlatformRegistration

CLIENT_ID = "kompetenslyft-dev"
DEPLOYMENT_ID = "dev-deployment-1"
ORGANISATION_SLUG = "dev"
ORGANISATION_NAME = "Utvecklingskommunen"
TOKEN_LIFETIME = 60  # seconds, as Moodle's

ROLE_URIS = {
    "Learner": "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    "Instructor": "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "Administrator": "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
}


@dataclass(frozen=True)
class FakePerson:
    key: str
    sub: str
    given_name: str
    family_name: str
    sourcedid: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.key}@example.invalid"


@dataclass(frozen=True)
class FakeCourse:
    key: str
    label: str
    title: str
    link_title: str
    instrument: str


PEOPLE = {
    person.key: person
    for person in (
        FakePerson("learner", "dev-1001", "Anna", "Andersson", "ANNA1001", ("Learner",)),
        FakePerson("teacher", "dev-1002", "Erik", "Berg", "ERIK1002", ("Instructor",)),
        FakePerson("manager", "dev-1003", "Karin", "Lund", "KARIN1003", ("Learner",)),
        FakePerson(
            "administrator",
            "dev-1004",
            "Maria",
            "Nilsson",
            "MARIA1004",
            ("Instructor", "Administrator"),
        ),
    )
}
COURSES = {
    course.key: course
    for course in (
        FakeCourse(
            "digi101",
            "DIGI101",
            "Digital kompetens för alla",
            "Kort självskattning",
            "digcomp-2.2-short",
        ),
        FakeCourse(
            "digi201",
            "DIGI201",
            "Digital kompetens – fördjupning",
            "Hela självskattningen",
            "digcomp-2.2-full",
        ),
    )
}


def issuer(public_url: str) -> str:
    return public_url.rstrip("/") + "/dev-platform"


def ensure_registered(session: Session, public_url: str) -> PlatformRegistration:
    """Register the dev platform with the tool, committed (idempotent; follows a changed
    public URL; switches it on again if someone switched it off)."""
    base = issuer(public_url)
    organisation = session.scalar(
        select(Organisation).where(Organisation.slug == ORGANISATION_SLUG)
    ) or NewOrganisation(ORGANISATION_NAME, ORGANISATION_SLUG)
    endpoints = PlatformEndpoints(
        issuer=base,
        client_id=CLIENT_ID,
        auth_login_url=base + "/auth",
        auth_token_url=base + "/token",
        key_set_url=base + "/jwks",
        name="Built-in dev platform",
    )
    saved = register_platform(session, organisation, endpoints, [DEPLOYMENT_ID], switch_on=True)
    return saved.registration


class PlatformKey:
    """The dev platform's RSA key, kept in the instance folder across restarts."""

    def __init__(self, instance_path: Path) -> None:
        path = instance_path / "dev_platform_key.pem"
        if not path.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pem)
            temporary.chmod(0o600)
            temporary.replace(path)
        self.pem = path.read_bytes()
        self._private_key = serialization.load_pem_private_key(self.pem, password=None)
        jwk = JWK.from_pem(self.pem)
        self.kid = jwk.thumbprint()
        self.public_jwk = {**json.loads(jwk.export_public()), "kid": self.kid, "alg": "RS256"}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


def launch_claims(
    *,
    public_url: str,
    person: FakePerson,
    course: FakeCourse,
    nonce: str,
    target_link_uri: str,
    locale: str,
    link=None,
) -> dict:
    """A resource link launch into the course's own link, or into `link` (a CreatedLink)."""
    now = int(time.time())
    claims = {
        "iss": issuer(public_url),
        "aud": CLIENT_ID,
        "sub": person.sub,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "nonce": nonce,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
        c.VERSION: "1.3.0",
        c.DEPLOYMENT_ID: DEPLOYMENT_ID,
        c.TARGET_LINK_URI: target_link_uri,
        c.ROLES: [ROLE_URIS[role] for role in person.roles],
        c.CONTEXT: {
            "id": course.key,
            "label": course.label,
            "title": course.title,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        c.RESOURCE_LINK: {"id": f"{course.key}-link-1", "title": course.link_title},
        c.LIS: {"person_sourcedid": person.sourcedid, "course_section_sourcedid": course.label},
        # The demo course shares results with managers, so the team pages have something to show.
        c.CUSTOM: {"instrument": course.instrument, "share_with_manager": "yes"},
        c.LAUNCH_PRESENTATION: {
            "locale": locale,
            "document_target": "iframe",
            "return_url": public_url.rstrip("/") + "/dev-platform/",
        },
        "https://purl.imsglobal.org/spec/lti/claim/tool_platform": {
            "guid": "kompetenslyft-dev-platform",
            "name": "Kompetenslyft dev platform",
            "product_family_code": "kompetenslyft-dev",
        },
        "jti": secrets.token_hex(8),
    }
    if link is not None:  # an activity the tool created through deep linking
        claims[c.RESOURCE_LINK] = {"id": link.id, "title": link.title}
        claims[c.CUSTOM] = dict(link.custom)
    return claims


def register_before_launch(session: Session, public_url: str) -> None:
    """`ensure_registered`, committed: the tool reads the registration in the launch that
    follows, in another request."""
    ensure_registered(session, public_url)
    session.commit()
