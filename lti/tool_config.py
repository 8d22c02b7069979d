"""pylti1p3's tool configuration, read from the database.

Many issuers, client ids and deployments live in one install, so the lookup is
always by issuer *and* client id (pylti1p3's "many clients per issuer" mode).
"""

from __future__ import annotations

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Deployment, PlatformRegistration


class StoredRegistration(Registration):
    """A pylti1p3 registration that remembers which database row it came from."""

    def __init__(self, row: PlatformRegistration) -> None:
        super().__init__()
        self.row_id = row.id
        self.organisation_id = row.organisation_id
        self.enabled = row.enabled
        self.last_launch_at = row.last_launch_at
        self.set_issuer(row.issuer)
        self.set_client_id(row.client_id)
        self.set_auth_login_url(row.auth_login_url)
        self.set_auth_token_url(row.auth_token_url)
        self.set_key_set_url(row.key_set_url)
        if row.auth_audience:
            self.set_auth_audience(row.auth_audience)


class DatabaseToolConf(ToolConfAbstract):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def issuer_known(self, iss: str) -> bool:
        query = select(PlatformRegistration.id).where(PlatformRegistration.issuer == iss).limit(1)
        return self._session.scalar(query) is not None

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> StoredRegistration | None:
        rows = self._session.scalars(
            select(PlatformRegistration).where(PlatformRegistration.issuer == iss).limit(2)
        ).all()
        # Only unambiguous when the issuer has exactly one client id.
        return StoredRegistration(rows[0]) if len(rows) == 1 else None

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args, **kwargs
    ) -> StoredRegistration | None:
        if not client_id:
            return self.find_registration_by_issuer(iss)
        row = self._session.scalar(
            select(PlatformRegistration).where(
                PlatformRegistration.issuer == iss, PlatformRegistration.client_id == client_id
            )
        )
        return StoredRegistration(row) if row else None

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        registration = self.find_registration_by_issuer(iss)
        if registration is None:
            return None
        return self.find_deployment_by_params(iss, deployment_id, registration.get_client_id())

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args, **kwargs
    ) -> LtiDeployment | None:
        row = self.deployment_row(iss, client_id, deployment_id)
        return LtiDeployment().set_deployment_id(row.deployment_id) if row else None

    def deployment_row(self, iss: str, client_id: str, deployment_id: str) -> Deployment | None:
        return self._session.scalar(
            select(Deployment)
            .join(PlatformRegistration)
            .where(
                PlatformRegistration.issuer == iss,
                PlatformRegistration.client_id == client_id,
                Deployment.deployment_id == deployment_id,
            )
        )
