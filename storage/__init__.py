"""Persistence: SQLAlchemy 2 models and the Alembic migrations that create them.

Importing this package registers every model on `Base.metadata`, which is what
Alembic compares the migrations against.
"""

from storage.attempts import Answer, Attempt, AttemptStatus
from storage.audit import AuditEvent
from storage.catalogue import LearningActivity
from storage.completions import CompletionEvent, RemoteId, SyncTarget
from storage.courses import Context, LineItem, ResourceLink
from storage.database import Base, Database, utcnow
from storage.frameworks import FrameworkVersion, InstrumentVersion, RoleProfile
from storage.hr_import import HrImport, HrSource
from storage.jobs import JobLease, JobRun
from storage.launches import Launch, LoginNonce
from storage.lrs import LrsEndpoint
from storage.memberships import Membership, MembershipStatus
from storage.organisation_profiles import OrganisationProfile
from storage.organisations import (
    Deployment,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
    UsedRegistrationToken,
)
from storage.outbox import Delivery, DeliveryFile, DeliveryStatus
from storage.people import Person
from storage.plans import DevelopmentPlan, PlanComment, PlanItemCompletion, PlanVersion
from storage.rate_limits import RateLimitWindow
from storage.staff import Employee, Employment, Grant, SharedInstrument, Unit
from storage.statements import StatementApiCredential, XapiStatement, XapiStatementRef
from storage.tool_keys import KeyState, ToolKey

__all__ = [
    "AuditEvent",
    "OrganisationProfile",
    "CompletionEvent",
    "JobLease",
    "JobRun",
    "RemoteId",
    "SyncTarget",
    "DevelopmentPlan",
    "PlanComment",
    "PlanItemCompletion",
    "PlanVersion",
    "Employee",
    "Employment",
    "Grant",
    "HrImport",
    "HrSource",
    "SharedInstrument",
    "Unit",
    "Delivery",
    "DeliveryFile",
    "RateLimitWindow",
    "DeliveryStatus",
    "LineItem",
    "Membership",
    "MembershipStatus",
    "RegistrationInvitation",
    "UsedRegistrationToken",
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
    "XapiStatement",
    "XapiStatementRef",
    "LrsEndpoint",
    "StatementApiCredential",
]
