"""pylti1p3's tool configuration, backed by the platform registry tables.

pylti1p3 keeps "one client per issuer" in a class-level dict shared by every
instance; here every issuer may have many clients (hosted Canvas), always.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from .keys import SigningKey
from .models import Deployment, Platform


class ParamsRequest(Request):
    """A pylti1p3 request over already-parsed form parameters."""

    def __init__(self, params: dict[str, str], secure: bool) -> None:
        self._params = params
        self._secure = secure

    @property
    def session(self) -> dict[str, Any]:
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")


def registration_for(platform: Platform, signing_key: SigningKey | None) -> Registration:
    registration = Registration()
    registration.set_issuer(platform.issuer)
    registration.set_client_id(platform.client_id)
    registration.set_auth_login_url(platform.auth_login_url)
    registration.set_auth_token_url(platform.auth_token_url)
    registration.set_key_set_url(platform.key_set_url)
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    if signing_key is not None:
        registration.set_tool_private_key(signing_key.private_pem)
        registration.get_kid = lambda: signing_key.kid  # type: ignore[method-assign]
    return registration


class DatabaseToolConf(ToolConfAbstract[ParamsRequest]):
    def __init__(self, session: Session, signing_key: SigningKey | None = None) -> None:
        self.session = session
        self.signing_key = signing_key

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platforms = list(self.session.scalars(select(Platform).where(Platform.issuer == iss)))
        if len(platforms) != 1:
            return None  # type: ignore[return-value]
        return registration_for(platforms[0], self.signing_key)

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any,
                                    **kwargs: Any) -> Registration:
        platform = self.session.scalar(
            select(Platform).where(Platform.issuer == iss, Platform.client_id == client_id)
        )
        return registration_for(platform, self.signing_key) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return None

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str,
                                  *args: Any, **kwargs: Any) -> LtiDeployment | None:
        row = self.session.scalar(
            select(Deployment).join(Platform).where(
                Platform.issuer == iss, Platform.client_id == client_id,
                Deployment.deployment_id == deployment_id,
            )
        )
        return LtiDeployment().set_deployment_id(row.deployment_id) if row else None
