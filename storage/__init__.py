"""Persistence: SQLAlchemy 2 models and the Alembic migrations that create them.

Importing this package registers every model on `Base.metadata`, which is what
Alembic compares the migrations against.
"""

from storage.assessments import (
    Answer,
    Attempt,
    AttemptStatus,
    FrameworkVersion,
    InstrumentVersion,
    LearningActivity,
    RoleProfile,
)
from storage.courses import Context, ResourceLink
from storage.database import Base, Database, utcnow
from storage.launches import Launch, LoginNonce
from storage.organisations import Deployment, Organisation, PlatformRegistration
from storage.people import Person
from storage.tool_keys import KeyState, ToolKey

__all__ = [
    "Answer",
    "Attempt",
    "AttemptStatus",
    "FrameworkVersion",
    "InstrumentVersion",
    "LearningActivity",
    "RoleProfile",
    "Base",
    "Context",
    "Database",
    "Deployment",
    "KeyState",
    "Launch",
    "LoginNonce",
    "Organisation",
    "Person",
    "PlatformRegistration",
    "ResourceLink",
    "ToolKey",
    "utcnow",
]
