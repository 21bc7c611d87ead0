"""Names and Role Provisioning Services (NRPS 2.0): a course's roster.

The launch's ``namesroleservice`` claim gives the *context memberships URL*; it
answers with a *membership container* — the course and its members, each with their
LTI roles and a status (``Active``, ``Inactive``, ``Deleted``) — paged by ``Link``
headers. Roles are full URIs in Canvas rosters and short names (``Learner``,
``Instructor``) in Moodle's; :func:`~leadership_pods.lti_tool.claims.tool_role` maps both.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..claims import present, tool_role
from ..errors import PlatformServiceError
from .http import ServiceHttp
from .tokens import PlatformEndpoints

log = logging.getLogger(__name__)

SCOPE_CONTEXT_MEMBERSHIP_READONLY = (
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)
MEMBERSHIP_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass(frozen=True)
class Member:
    """One person on a course roster; ``tool_role`` is their role in the tool, if any."""

    user_id: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    roles: tuple[str, ...] = ()
    status: str = "Active"
    lis_person_sourcedid: str | None = None
    tool_role: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_role", tool_role(self.roles))

    @property
    def active(self) -> bool:
        return self.status == "Active"

    @classmethod
    def from_json(cls, data: Any) -> Member | None:
        if not isinstance(data, Mapping) or not present(data.get("user_id")):
            return None
        roles = data.get("roles")
        return cls(
            user_id=str(data["user_id"]),
            name=present(data.get("name")),
            given_name=present(data.get("given_name")),
            family_name=present(data.get("family_name")),
            email=present(data.get("email")),
            roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
            status=present(data.get("status")) or "Active",
            lis_person_sourcedid=present(data.get("lis_person_sourcedid")),
        )


class NrpsClient:
    """Course rosters from one platform registration."""

    def __init__(self, http: ServiceHttp, platform: PlatformEndpoints) -> None:
        self.http = http
        self.platform = platform

    def members(self, context_memberships_url: str) -> list[Member]:
        """Every member, across every page; a member repeated on a later page counts once."""
        members: dict[str, Member] = {}
        skipped = 0
        for page in self.http.pages(self.platform, (SCOPE_CONTEXT_MEMBERSHIP_READONLY,),
                                    context_memberships_url,
                                    accept=MEMBERSHIP_CONTAINER_MEDIA_TYPE):
            entries = page.get("members") if isinstance(page, Mapping) else None
            if not isinstance(entries, list):
                raise PlatformServiceError(
                    f"{context_memberships_url} did not answer with a membership container"
                )
            for entry in entries:
                member = Member.from_json(entry)
                if member is None:
                    skipped += 1
                else:
                    members.setdefault(member.user_id, member)
        if skipped:
            log.warning("%d roster entries without a user_id skipped from %s", skipped,
                        context_memberships_url)
        return list(members.values())
