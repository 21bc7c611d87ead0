"""The Canvas developer-key JSON configuration: URLs, scopes and placements."""

from __future__ import annotations

import json

import pytest

from leadership_pods.lti_tool.canvas_config import (
    SERVICE_SCOPES,
    ToolUrls,
    canvas_developer_key,
)

BASE = "https://pods.example.edu"


@pytest.fixture
def config() -> dict:
    return canvas_developer_key(BASE)


def placements(config: dict) -> dict[str, dict]:
    (extension,) = config["extensions"]
    return {p["placement"]: p for p in extension["settings"]["placements"]}


def test_tool_urls_come_from_the_base_url(config):
    assert config["title"] == "Leadership Pods"
    assert config["description"]
    assert config["oidc_initiation_url"] == BASE + "/lti/login"
    assert config["target_link_uri"] == BASE + "/lti/launch"
    assert config["public_jwk_url"] == BASE + "/lti/jwks"
    assert "public_jwk" not in config


def test_a_trailing_slash_on_the_base_url_does_not_double(config):
    assert canvas_developer_key(BASE + "/") == config


def test_title_description_and_jwks_url_can_be_given():
    config = canvas_developer_key(BASE, title="Pods (beta)", description="Trial",
                                  jwks_url="https://keys.example.edu/jwks")
    assert (config["title"], config["description"]) == ("Pods (beta)", "Trial")
    assert config["public_jwk_url"] == "https://keys.example.edu/jwks"


def test_scopes_are_ags_and_nrps(config):
    assert config["scopes"] == [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ]
    assert tuple(config["scopes"]) == SERVICE_SCOPES


def test_extension_is_for_canvas_with_public_privacy(config):
    (extension,) = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"
    assert extension["domain"] == "pods.example.edu"


def test_deep_linking_placements_open_the_picker_at_the_launch_url(config):
    by_name = placements(config)
    for name in ("assignment_selection", "link_selection"):
        assert by_name[name]["message_type"] == "LtiDeepLinkingRequest"
        assert by_name[name]["target_link_uri"] == BASE + "/lti/launch"


def test_course_navigation_is_the_passport_for_members(config):
    passport = placements(config)["course_navigation"]
    assert passport["message_type"] == "LtiResourceLinkRequest"
    assert passport["target_link_uri"] == BASE + "/lti/launch"
    assert passport["text"] == "Leadership Passport"
    assert passport["default"] == "enabled"
    assert passport["visibility"] == "members"


def test_only_the_three_placements(config):
    assert set(placements(config)) == {"assignment_selection", "link_selection",
                                       "course_navigation"}


def test_custom_fields_use_only_canvas_variables(config):
    assert config["custom_fields"] == {"canvas_course_id": "$Canvas.course.id",
                                       "section_sourcedid": "$CourseSection.sourcedId"}


def test_configuration_is_plain_json(config):
    assert json.loads(json.dumps(config)) == config


def test_each_call_returns_a_fresh_copy(config):
    config["custom_fields"]["x"] = "y"
    assert "x" not in canvas_developer_key(BASE)["custom_fields"]


@pytest.mark.parametrize(("base", "domain"), [
    ("https://pods.example.edu", "pods.example.edu"),
    ("https://pods.example.edu:8443/", "pods.example.edu:8443"),
    ("http://127.0.0.1:5000", "127.0.0.1:5000"),
])
def test_tool_urls(base, domain):
    urls = ToolUrls(base)
    assert urls.domain == domain
    assert urls.launch == base.rstrip("/") + "/lti/launch"
    assert urls.login == base.rstrip("/") + "/lti/login"
    assert urls.jwks == base.rstrip("/") + "/lti/jwks"
