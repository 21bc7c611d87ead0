"""Tables of the LMS boundary.

A *platform* is one LMS registration, keyed by ``(issuer, client_id)``: hosted Canvas
uses one issuer for every school, so the client id tells them apart. A *deployment*
is one install of the tool within a registration (Moodle: the tool type id; Canvas:
``<tool id>:<context hash>``, new per course-level install).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..config.database import Base, UTCDateTime, utcnow

DEPLOYMENT_POLICY_STRICT = "strict"
DEPLOYMENT_POLICY_ACCEPT_NEW = "accept_new"


class Platform(Base):
    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platform_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000), default=None)
    deployment_policy: Mapped[str] = mapped_column(String(20), default=DEPLOYMENT_POLICY_STRICT)
    product_family: Mapped[str | None] = mapped_column(String(50), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", order_by="Deployment.id", cascade="all, delete-orphan"
    )


class Deployment(Base):
    __tablename__ = "lti_deployment"
    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployment_platform_dep"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    #: recorded from a launch under the accept-new policy, not registered by hand
    auto_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """One RSA signing key of the tool. The private half is encrypted at rest."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PlatformKeySet(Base):
    """The platform JWKS cache, shared by every worker through the database."""

    __tablename__ = "lti_platform_key_set"

    key_set_url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    keys: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: last fetch forced by an unknown kid; rate-limits refetches
    forced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)


class UsedNonce(Base):
    """Nonces of accepted launches; the primary key makes a replay fail atomically.

    A nonce is issued by our own login inside the signed state, so recording it also
    makes that state single-use."""

    __tablename__ = "lti_used_nonce"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ServiceToken(Base):
    """An OAuth2 client-credentials access token, cached per registration and scope set."""

    __tablename__ = "lti_service_token"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="CASCADE"), primary_key=True
    )
    scopes: Mapped[str] = mapped_column(String(2000), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LmsUser(Base):
    __tablename__ = "lms_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_lms_user_platform_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    given_name: Mapped[str | None] = mapped_column(String(255), default=None)
    family_name: Mapped[str | None] = mapped_column(String(255), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    person_sourcedid: Mapped[str | None] = mapped_column(String(255), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LmsContext(Base):
    """A course (LTI *context*) on a platform."""

    __tablename__ = "lms_context"
    __table_args__ = (
        UniqueConstraint("platform_id", "context_id", name="uq_lms_context_platform_ctx"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255), default=None)
    title: Mapped[str | None] = mapped_column(String(500), default=None)
    nrps_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Membership(Base):
    """A user's tool role in a course, with the program's custom parameters."""

    __tablename__ = "lms_membership"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", name="uq_lms_membership_user_ctx"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("lms_context.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    cohort: Mapped[str | None] = mapped_column(String(100), default=None)
    specialty: Mapped[str | None] = mapped_column(String(100), default=None)
    pgy: Mapped[str | None] = mapped_column(String(20), default=None)
    stage: Mapped[str | None] = mapped_column(String(50), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LaunchRecord(Base):
    """One accepted launch: the persisted :class:`LaunchContext` later requests resume."""

    __tablename__ = "lti_launch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), default=None
    )
    message_type: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    #: the LaunchContext as plain data (no raw claims)
    context_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
