"""How statements name a learner: the organisation's choice of actor mode.

- "lti" (the default): an account whose homePage is the platform's issuer and whose
  name is the LTI subject. No name or e-mail, but anyone holding the platform's
  user ids can tell who it is.
- "pseudonym": an account under the tool's public URL whose name is an HMAC-SHA256
  of issuer and subject, keyed with the organisation's own pseudonym key. The LRS
  cannot link it to a platform user; the same person gets the same pseudonym in
  every statement, another organisation a different one. The key is the
  organisation's (not the instance's secret key), so rotating that changes nothing.
- "identified": the person's name and e-mail (mbox) when the platform shared them.
  xAPI allows one identifier per agent, so the mbox replaces the account; the LTI
  account then travels in a context extension (see xapi.statements), so statements
  of one person stay joinable across modes. Without an e-mail the account stays the
  identifier (with the name when known). Personal data: only with a legal basis.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from xapi.model import Account, Agent

LTI = "lti"
PSEUDONYM = "pseudonym"
IDENTIFIED = "identified"
ACTOR_MODES = (LTI, PSEUDONYM, IDENTIFIED)

# Enough for an mbox IRI "mailto:local@domain": no spaces, one @ with text on both sides.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Learner:
    """What the tool knows about the person of a launch, as the platform sent it."""

    issuer: str
    subject: str
    name: str | None = None
    email: str | None = None


def pseudonym(key: str, issuer: str, subject: str) -> str:
    """The learner's pseudonym: HMAC-SHA256 over issuer and subject (hex)."""
    message = f"{issuer}\x1f{subject}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def actor_of(
    mode: str, learner: Learner, *, public_url: str, pseudonym_key: str | None = None
) -> Agent:
    """The statement actor for a learner under an organisation's actor mode."""
    lti_account = Account(homePage=learner.issuer, name=learner.subject)
    if mode == LTI:
        return Agent(account=lti_account)
    if mode == PSEUDONYM:
        if not pseudonym_key:
            raise ValueError("the pseudonym mode needs the organisation's pseudonym key")
        return Agent(
            account=Account(
                homePage=public_url.rstrip("/"),
                name=pseudonym(pseudonym_key, learner.issuer, learner.subject),
            )
        )
    if mode == IDENTIFIED:
        name = learner.name.strip() if learner.name and learner.name.strip() else None
        email = learner.email.strip() if learner.email else ""
        if _EMAIL.match(email):
            return Agent(name=name, mbox=f"mailto:{email}")
        return Agent(account=lti_account, name=name)
    raise ValueError(f"unknown xAPI actor mode {mode!r}; one of {', '.join(ACTOR_MODES)}")


def every_actor(learner: Learner, *, public_url: str, pseudonym_key: str | None) -> list[Agent]:
    """Each actor the learner may be named by in stored statements, under whichever actor
    mode the organisation had when they were made: what an export or erasure looks for."""
    modes = [LTI, IDENTIFIED] + ([PSEUDONYM] if pseudonym_key else [])
    actors: list[Agent] = []
    for mode in modes:
        actor = actor_of(mode, learner, public_url=public_url, pseudonym_key=pseudonym_key)
        if actor not in actors:
            actors.append(actor)
    return actors
