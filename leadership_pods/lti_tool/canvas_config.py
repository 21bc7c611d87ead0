"""What the tool tells an LMS about itself: its addresses, services and placements.

Pure: no Flask, no database, no I/O. Two shapes of the same description: the Canvas
*developer key* JSON configuration (``GET /lti/canvas.json``, pasted or fetched by a
Canvas administrator for a manual install) and the *client metadata* that LTI Dynamic
Registration posts to any LMS (see ``dynamic_registration.py``).

A *placement* is where an LMS shows a link to the tool: Canvas's
``assignment_selection`` and ``link_selection`` open the tool's deep-linking picker
(an ``LtiDeepLinkingRequest``) so a teacher can choose a pod; ``course_navigation``
adds a course menu item that launches the Leadership Passport (an
``LtiResourceLinkRequest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TOOL_TITLE = "Leadership Pods"
TOOL_DESCRIPTION = (
    "Two-hour leadership skill pods for residency programs: simulations, rubric-scored "
    "work, grades passed back to the LMS and a Leadership Passport of completions."
)
PASSPORT_LABEL = "Leadership Passport"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

#: Assignment and Grade Services: line items (gradebook columns), results and scores
AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
#: Names and Role Provisioning Services: the course roster
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SERVICE_SCOPES = (*AGS_SCOPES, NRPS_SCOPE)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
#: the launch claims the tool asks for (Moodle sends names and email only when asked)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")

CANVAS_PLATFORM = "canvas.instructure.com"
CANVAS_EXTENSION = "https://canvas.instructure.com/lti/"
CANVAS_DEEP_LINKING_PLACEMENTS = ("assignment_selection", "link_selection")
CANVAS_PASSPORT_PLACEMENT = "course_navigation"
#: Canvas cannot fill cohort/specialty/pgy/stage from its own variables; these two it can
CANVAS_CUSTOM_FIELDS = {
    "canvas_course_id": "$Canvas.course.id",
    "section_sourcedid": "$CourseSection.sourcedId",
}
#: Moodle lists its deep-linking placement as "ContentArea" (the activity chooser)
MOODLE_DEEP_LINKING_PLACEMENTS = ("ContentArea",)


@dataclass(frozen=True)
class ToolUrls:
    """The tool's public addresses, all derived from its base URL."""

    base_url: str

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def login(self) -> str:
        return self.base + "/lti/login"

    @property
    def launch(self) -> str:
        return self.base + "/lti/launch"

    @property
    def jwks(self) -> str:
        return self.base + "/lti/jwks"

    @property
    def domain(self) -> str:
        """Host (and port, when not the default) that LMSs match the tool's links against."""
        return urlsplit(self.base).netloc


def canvas_developer_key(base_url: str, *, title: str = TOOL_TITLE,
                         description: str = TOOL_DESCRIPTION,
                         jwks_url: str | None = None) -> dict[str, Any]:
    """The Canvas developer-key JSON configuration of the tool at ``base_url``."""
    urls = ToolUrls(base_url)
    launch = urls.launch
    placements: list[dict[str, Any]] = [
        {
            "placement": placement,
            "message_type": DEEP_LINKING_REQUEST,
            "target_link_uri": launch,
            "text": title,
        }
        for placement in CANVAS_DEEP_LINKING_PLACEMENTS
    ]
    placements.append({
        "placement": CANVAS_PASSPORT_PLACEMENT,
        "message_type": RESOURCE_LINK_REQUEST,
        "target_link_uri": launch,
        "text": PASSPORT_LABEL,
        "default": "enabled",
        "visibility": "members",
    })
    return {
        "title": title,
        "description": description,
        "oidc_initiation_url": urls.login,
        "target_link_uri": launch,
        "public_jwk_url": jwks_url or urls.jwks,
        "scopes": list(SERVICE_SCOPES),
        "extensions": [
            {
                "platform": CANVAS_PLATFORM,
                "domain": urls.domain,
                "tool_id": "leadership-pods",
                "privacy_level": "public",
                "settings": {"text": title, "placements": placements},
            }
        ],
        "custom_fields": dict(CANVAS_CUSTOM_FIELDS),
    }


def tool_messages(urls: ToolUrls, family: str, *,
                  deep_linking: bool = True) -> list[dict[str, Any]]:
    """The LTI messages offered to a platform, with placements suited to its product family."""
    messages: list[dict[str, Any]] = []
    if deep_linking:
        deep_link: dict[str, Any] = {"type": DEEP_LINKING_REQUEST,
                                     "target_link_uri": urls.launch, "label": TOOL_TITLE}
        if family == "canvas":
            deep_link["placements"] = list(CANVAS_DEEP_LINKING_PLACEMENTS)
        elif family == "moodle":
            deep_link["placements"] = list(MOODLE_DEEP_LINKING_PLACEMENTS)
        messages.append(deep_link)
    if family == "canvas":
        messages.append({
            "type": RESOURCE_LINK_REQUEST, "target_link_uri": urls.launch,
            "label": PASSPORT_LABEL, "placements": [CANVAS_PASSPORT_PLACEMENT],
            CANVAS_EXTENSION + "course_navigation/default_enabled": True,
            CANVAS_EXTENSION + "visibility": "members",
        })
    return messages


def client_metadata(urls: ToolUrls, family: str = "", *,
                    deep_linking: bool = True) -> dict[str, Any]:
    """A dynamic-registration request: OpenID client metadata plus the LTI tool configuration.

    ``family`` is the platform's ``product_family_code`` in lower case (``canvas``,
    ``moodle``, ...); ``deep_linking`` whether the platform takes deep-linking requests.
    """
    tool: dict[str, Any] = {
        "domain": urls.domain,
        "target_link_uri": urls.launch,
        "description": TOOL_DESCRIPTION,
        "claims": list(CLAIMS),
        "messages": tool_messages(urls, family, deep_linking=deep_linking),
    }
    if family == "canvas":
        tool["custom_parameters"] = dict(CANVAS_CUSTOM_FIELDS)
        tool[CANVAS_EXTENSION + "privacy_level"] = "public"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": TOOL_TITLE,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SERVICE_SCOPES),
        TOOL_CONFIGURATION: tool,
    }
