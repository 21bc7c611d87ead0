"""Pure reading of LTI 1.3 id_token claims into a :class:`LaunchContext`.

No Flask, no database, no I/O. This is the only module that knows claim URIs; past
it, the rest of the tool sees a ``LaunchContext``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import AccessDenied, LaunchError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUBMISSION_REVIEW_REQUEST = "LtiSubmissionReviewRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST, SUBMISSION_REVIEW_REQUEST)

ROLE_RESIDENT = "resident"
ROLE_FACULTY = "faculty"
ROLE_ADMINISTRATOR = "administrator"

_ADMIN_ROLES = {
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
}
_FACULTY_MEMBERSHIPS = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Mentor"}
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"

#: custom parameters the program may send; unsubstituted ``$Variables`` count as absent
PROGRAM_PARAMETERS = ("cohort", "specialty", "pgy", "stage")


def tool_role(lti_roles: Sequence[str]) -> str | None:
    """Map LTI role URIs to the tool role; administrator beats faculty beats resident.

    Context roles may come as full URIs (``…/membership#Instructor``), as sub-roles
    (``…/membership/Instructor#TeachingAssistant``) or, in NRPS rosters, as short names.
    """
    found: set[str] = set()
    for role in lti_roles:
        if not isinstance(role, str):
            continue
        if role in _ADMIN_ROLES or role == "Administrator":
            found.add(ROLE_ADMINISTRATOR)
            continue
        name = role
        if role.startswith(_MEMBERSHIP):
            rest = role[len(_MEMBERSHIP) :]
            name = rest.split("#")[-1] if "#" in rest else rest.lstrip("/")
            if rest.startswith("/"):  # sub-role: …/membership/Instructor#TeachingAssistant
                parent = rest.lstrip("/").split("#")[0]
                if parent in _FACULTY_MEMBERSHIPS:
                    found.add(ROLE_FACULTY)
        if name in _FACULTY_MEMBERSHIPS:
            found.add(ROLE_FACULTY)
        elif name == "Learner":
            found.add(ROLE_RESIDENT)
    for role in (ROLE_ADMINISTRATOR, ROLE_FACULTY, ROLE_RESIDENT):
        if role in found:
            return role
    return None


def present(value: Any) -> str | None:
    """A claim value as text, or None when empty or an unsubstituted ``$Variable``."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or (text.startswith("$") and " " not in text):
        return None
    return text


def _obj(claims: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = claims.get(key)
    return value if isinstance(value, Mapping) else {}


def check_required_claims(claims: Mapping[str, Any]) -> str:
    """Check the LTI claims every supported message needs; return the message type."""
    version = claims.get(LTI + "version")
    if version != "1.3.0":
        raise LaunchError(
            f"the LTI version claim is {version!r}, not '1.3.0'",
            check="version",
            hint="The platform must launch the tool as LTI 1.3 (Advantage).",
        )
    message_type = claims.get(LTI + "message_type")
    if not message_type:
        raise LaunchError("the message_type claim is missing", check="message-type")
    if message_type not in MESSAGE_TYPES:
        raise LaunchError(
            f"message type {message_type!r} is not one this tool handles "
            f"(it handles {', '.join(MESSAGE_TYPES)})",
            check="message-type",
            hint="Check the placement configured for the tool in the LMS.",
        )
    if not present(claims.get(LTI + "deployment_id")):
        raise LaunchError("the deployment_id claim is missing", check="claims")
    if not present(claims.get("sub")):
        raise LaunchError("the sub (user id) claim is missing: anonymous launches are not supported",
                          check="claims", hint="Launch the tool as a signed-in user.")
    roles = claims.get(LTI + "roles")
    if not isinstance(roles, list):
        raise LaunchError("the roles claim is missing or not a list", check="claims")
    if message_type in (RESOURCE_LINK_REQUEST, SUBMISSION_REVIEW_REQUEST):
        if not present(_obj(claims, LTI + "resource_link").get("id")):
            raise LaunchError("the resource_link claim has no id", check="claims")
    if message_type == DEEP_LINKING_REQUEST:
        settings = _obj(claims, DL_SETTINGS)
        if not present(settings.get("deep_link_return_url")):
            raise LaunchError("the deep linking settings have no deep_link_return_url",
                              check="claims")
        if not isinstance(settings.get("accept_types"), list):
            raise LaunchError("the deep linking settings have no accept_types", check="claims")
        if "ltiResourceLink" not in settings["accept_types"]:
            raise LaunchError(
                "this deep-linking placement does not accept LTI resource links (it accepts "
                f"{', '.join(map(str, settings['accept_types'])) or 'nothing'}), and pods are "
                "added as resource links",
                check="deep-linking",
                hint="Add the tool from an assignment or link selection placement.",
            )
    if message_type == SUBMISSION_REVIEW_REQUEST:
        if not present(_obj(claims, LTI + "for_user").get("user_id")):
            raise LaunchError("the submission review has no for_user claim", check="claims")
    return str(message_type)


@dataclass(frozen=True)
class UserInfo:
    sub: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    person_sourcedid: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or "LMS user"


@dataclass(frozen=True)
class CourseInfo:
    context_id: str
    label: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class AgsEndpoint:
    """Assignment and Grade Services: where scores for this link go."""

    scopes: tuple[str, ...] = ()
    lineitems: str | None = None
    lineitem: str | None = None


@dataclass(frozen=True)
class DeepLinkSettings:
    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool
    accept_presentation_document_targets: tuple[str, ...] = ()
    data: Any = None
    title: str | None = None


@dataclass(frozen=True)
class LaunchContext:
    """Who is launching, from where, into what: everything the tool needs of a launch."""

    launch_id: str
    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    deployment_pk: int
    message_type: str
    role: str
    lti_roles: tuple[str, ...]
    user: UserInfo
    user_pk: int = 0
    course: CourseInfo | None = None
    course_pk: int | None = None
    resource_link_id: str | None = None
    resource_link_title: str | None = None
    ags: AgsEndpoint | None = None
    nrps_url: str | None = None
    program: Mapping[str, str] = field(default_factory=dict)
    pod_slug: str | None = None
    deep_link: DeepLinkSettings | None = None
    for_user_sub: str | None = None
    return_url: str | None = None
    document_target: str | None = None
    locale: str | None = None
    product_family: str | None = None

    @property
    def is_faculty(self) -> bool:
        return self.role in (ROLE_FACULTY, ROLE_ADMINISTRATOR)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data (``from_data`` reads it back)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("user", "course", "ags", "deep_link"):
            if data[name] is not None:
                data[name] = {f.name: _plain(getattr(data[name], f.name))
                              for f in fields(data[name])}
        data["lti_roles"] = list(self.lti_roles)
        data["program"] = dict(self.program)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> LaunchContext:
        values = dict(data)
        values["user"] = UserInfo(**values["user"])
        values["lti_roles"] = tuple(values.get("lti_roles") or ())
        if values.get("course"):
            values["course"] = CourseInfo(**values["course"])
        if values.get("ags"):
            ags = dict(values["ags"])
            ags["scopes"] = tuple(ags.get("scopes") or ())
            values["ags"] = AgsEndpoint(**ags)
        if values.get("deep_link"):
            dl = dict(values["deep_link"])
            dl["accept_types"] = tuple(dl.get("accept_types") or ())
            dl["accept_presentation_document_targets"] = tuple(
                dl.get("accept_presentation_document_targets") or ()
            )
            values["deep_link"] = DeepLinkSettings(**dl)
        return cls(**values)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def build_launch_context(
    claims: Mapping[str, Any], *, launch_id: str, platform_id: int, client_id: str,
    deployment_pk: int,
) -> LaunchContext:
    """Read validated claims into a LaunchContext. Refuses a launch with no tool role."""
    message_type = check_required_claims(claims)
    roles = tuple(r for r in claims.get(LTI + "roles", []) if isinstance(r, str))
    role = tool_role(roles)
    if role is None:
        raise AccessDenied(
            "your LMS role in this course gives no access to Leadership Pods "
            "(it is for learners, instructors, mentors and administrators)",
            check="role",
        )
    context = _obj(claims, LTI + "context")
    course = None
    if present(context.get("id")):
        course = CourseInfo(
            context_id=str(context["id"]),
            label=present(context.get("label")),
            title=present(context.get("title")),
        )
    link = _obj(claims, LTI + "resource_link")
    custom = _obj(claims, LTI + "custom")
    ags_claim = _obj(claims, AGS_ENDPOINT)
    ags = None
    if ags_claim:
        scopes = ags_claim.get("scope")
        ags = AgsEndpoint(
            scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
            lineitems=present(ags_claim.get("lineitems")),
            lineitem=present(ags_claim.get("lineitem")),
        )
    deep_link = None
    if message_type == DEEP_LINKING_REQUEST:
        dl = _obj(claims, DL_SETTINGS)
        deep_link = DeepLinkSettings(
            return_url=str(dl["deep_link_return_url"]),
            accept_types=tuple(str(t) for t in dl.get("accept_types", [])),
            accept_multiple=_truthy(dl.get("accept_multiple", False)),
            accept_presentation_document_targets=tuple(
                str(t) for t in dl.get("accept_presentation_document_targets") or []
            ),
            data=dl.get("data"),
            title=present(dl.get("title")),
        )
    presentation = _obj(claims, LTI + "launch_presentation")
    lis = _obj(claims, LTI + "lis")
    program = {name: v for name in PROGRAM_PARAMETERS if (v := present(custom.get(name)))}
    return LaunchContext(
        launch_id=launch_id,
        platform_id=platform_id,
        issuer=str(claims.get("iss")),
        client_id=client_id,
        deployment_id=str(claims[LTI + "deployment_id"]),
        deployment_pk=deployment_pk,
        message_type=message_type,
        role=role,
        lti_roles=roles,
        user=UserInfo(
            sub=str(claims["sub"]),
            name=present(claims.get("name")),
            given_name=present(claims.get("given_name")),
            family_name=present(claims.get("family_name")),
            email=present(claims.get("email")),
            person_sourcedid=present(lis.get("person_sourcedid")),
        ),
        course=course,
        resource_link_id=present(link.get("id")),
        resource_link_title=present(link.get("title")),
        ags=ags,
        nrps_url=present(_obj(claims, NRPS_CLAIM).get("context_memberships_url")),
        program=program,
        pod_slug=present(custom.get("pod")),
        deep_link=deep_link,
        for_user_sub=present(_obj(claims, LTI + "for_user").get("user_id")),
        return_url=present(presentation.get("return_url")),
        document_target=present(presentation.get("document_target")),
        locale=present(presentation.get("locale")) or present(claims.get("locale")),
        product_family=present(_obj(claims, LTI + "tool_platform").get("product_family_code")),
    )
