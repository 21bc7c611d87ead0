"""Launches from Canvas- and Moodle-shaped platforms through the real validation code."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from sqlalchemy import func, select

from leadership_pods.lti_tool.login import state_fingerprint
from leadership_pods.lti_tool.models import Deployment, LaunchRecord, LmsUser, Membership
from tests.conftest import register
from tests.support.platform import LTI, TOOL_BASE_URL, TestPlatform


def landing(response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 303, response.get_data(as_text=True)
    parts = urlsplit(response.headers["Location"])
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_canvas_launch_lands_on_the_links_pod(client, platform: TestPlatform, session):
    path, query = landing(platform.launch(client))
    assert path == "/pods/budget-balancing"
    assert query["lt"]
    record = session.scalar(select(LaunchRecord))
    assert record.role == "resident"
    data = record.context_data
    assert data["program"] == {"cohort": "PGY2-2026", "specialty": "Internal Medicine"}
    assert data["ags"]["lineitem"] == "https://canvas.example.edu/api/lti/courses/311/line_items/57"
    assert data["nrps_url"].endswith("/names_and_roles")
    # the literal "$CourseSection.sourcedId" is treated as absent, not stored
    assert "$" not in str(data)


def test_moodle_launch_with_string_aud_and_short_context_type(client, moodle: TestPlatform,
                                                             session):
    path, _ = landing(moodle.launch(client))
    assert path == "/pods/budget-balancing"
    user = session.scalar(select(LmsUser))
    assert user.sub == "4" and user.email == "student1@example.com"


def test_login_accepts_moodle_form_post(client, moodle: TestPlatform):
    auth = moodle.login(client, method="POST", lti_message_hint='{"cmid":2,"launchid":"x"}')
    assert auth["lti_message_hint"] == '{"cmid":2,"launchid":"x"}'
    assert auth["redirect_uri"] == TOOL_BASE_URL + "/lti/launch"
    assert auth["response_mode"] == "form_post" and auth["prompt"] == "none"


def test_login_passes_a_jwt_message_hint_back_untouched(client, platform: TestPlatform):
    hint = "eyJhbGciOiJSUzI1NiJ9.eyJ2ZXJpZmllciI6ImFiYyJ9.c2lnbmF0dXJl"
    auth = platform.login(client, lti_message_hint=hint)
    assert auth["lti_message_hint"] == hint
    assert auth["client_id"] == platform.client_id


def test_login_hint_differing_from_sub_is_normal(client, platform: TestPlatform):
    auth = platform.login(client, login_hint="canvas-opaque-login-hint")
    claims = platform.claims(nonce=auth["nonce"])
    assert claims["sub"] != "canvas-opaque-login-hint"
    landing(platform.post_launch(client, platform.sign(claims), auth["state"]))


def test_instructor_and_administrator_roles(client, platform: TestPlatform, session):
    landing(platform.launch(client, role="Instructor"))
    landing(platform.launch(client, role="http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"))
    roles = sorted(session.scalars(select(LaunchRecord.role)))
    assert roles == ["administrator", "faculty"]


def test_memberships_are_upserted_not_duplicated(client, platform: TestPlatform, session):
    landing(platform.launch(client))
    landing(platform.launch(client))
    assert session.scalar(select(func.count()).select_from(LmsUser)) == 1
    assert session.scalar(select(func.count()).select_from(Membership)) == 1
    assert session.scalar(select(func.count()).select_from(LaunchRecord)) == 2


def test_course_navigation_launch_without_pod_lands_on_course_home(client, platform):
    path, _ = landing(platform.launch(client, role="Instructor", pod=None))
    assert path == "/pods/"


def test_accept_new_deployment_policy_records_canvas_course_installs(app, client):
    canvas = TestPlatform(client_id="10000000000099")
    from tests.support.http_server import LocalServer

    with LocalServer(canvas.wsgi) as server:
        canvas.base_url = server.url
        register(app, canvas, deployment_ids=(), deployment_policy="accept_new")
        landing(canvas.launch(client))
        with app.extensions["leadership_pods"]["db"].transaction() as s:
            deployment = s.scalar(select(Deployment))
            assert deployment.deployment_id == canvas.deployment_id
            assert deployment.auto_recorded


def test_issuer_with_several_clients_is_told_apart_by_aud(app, client, platform):
    other = TestPlatform(client_id="20000000000007")
    from tests.support.http_server import LocalServer

    with LocalServer(other.wsgi) as server:
        other.base_url = server.url
        register(app, other)
        landing(other.launch(client))
        landing(platform.launch(client))


def test_login_without_client_id_uses_a_unique_registration(client, moodle):
    auth = moodle.login(client, client_id=None)
    assert auth["client_id"] == moodle.client_id


def test_login_without_client_id_is_refused_when_issuer_is_shared(app, client, platform):
    other = TestPlatform(client_id="20000000000007")
    other.base_url = "http://127.0.0.1:9"
    register(app, other)
    response = client.get("/lti/login", query_string=platform.login_params(client_id=None),
                          base_url=TOOL_BASE_URL)
    assert response.status_code == 400
    assert "several registrations" in response.get_data(as_text=True)


def test_clock_skew_within_leeway_is_accepted(client, moodle):
    auth = moodle.login(client)
    now = int(time.time())
    claims = moodle.claims(nonce=auth["nonce"], overrides={"iat": now + 30, "exp": now + 50})
    landing(moodle.post_launch(client, moodle.sign(claims), auth["state"]))


def test_state_cookie_is_partitioned_and_cross_site(client, platform):
    response = client.get("/lti/login", query_string=platform.login_params(),
                          base_url=TOOL_BASE_URL)
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie
    assert cookie.startswith("lp_state_")


def test_platform_storage_login_renders_the_post_message_page(client, platform):
    response = client.get("/lti/login", base_url=TOOL_BASE_URL,
                          query_string=platform.login_params(lti_storage_target="post_message_forwarding"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-target="post_message_forwarding"' in body
    assert "platform_storage.js" in body


def test_launch_without_cookie_uses_platform_storage_when_offered(app, platform):
    client = app.test_client(use_cookies=False)
    auth = platform.login(client, lti_storage_target="post_message_forwarding")
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    first = platform.post_launch(client, token, auth["state"])
    assert first.status_code == 200
    assert 'data-mode="get"' in first.get_data(as_text=True)
    wrong = platform.post_launch(client, token, auth["state"], lti_storage_state="forged")
    assert wrong.status_code == 400
    landing(platform.post_launch(client, token, auth["state"],
                                 lti_storage_state=state_fingerprint(auth["state"])))


def test_launch_without_cookie_or_platform_storage_offers_a_new_window(app, platform):
    client = app.test_client(use_cookies=False)
    auth = platform.login(client)
    response = platform.post_launch(client, platform.sign(platform.claims(nonce=auth["nonce"])),
                                    auth["state"])
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Open in a new window" in body
    relaunch = body.split('href="https://pods.test/lti/relaunch?')[1].split('"')[0]
    again = client.get("/lti/relaunch?" + relaunch.replace("&amp;", "&"), base_url=TOOL_BASE_URL)
    assert again.status_code == 303
    assert again.headers["Location"].startswith("/lti/login?")


def test_pages_after_the_launch_need_the_launch_token_not_cookies(app, client, platform):
    path, query = landing(platform.launch(client))
    bare = app.test_client(use_cookies=False)
    assert bare.get(path, base_url=TOOL_BASE_URL).status_code == 401
    assert bare.get(path + "?lt=forged", base_url=TOOL_BASE_URL).status_code == 401
    page = bare.get(path, query_string={"lt": query["lt"]}, base_url=TOOL_BASE_URL)
    assert page.status_code in (200, 404)  # 404 only while the pod content is missing


def test_resident_cannot_open_another_links_pod(client, platform):
    _, query = landing(platform.launch(client, pod="budget-balancing"))
    response = client.get("/pods/governance", query_string={"lt": query["lt"]},
                          base_url=TOOL_BASE_URL)
    assert response.status_code == 404


def test_deep_link_response_is_signed_and_echoes_data(app, client, platform):
    path, query = landing(platform.launch(client, role="Instructor", pod=None,
                                          message_type="LtiDeepLinkingRequest"))
    assert path == "/lti/deep-link"
    picker = client.get(path, query_string=query, base_url=TOOL_BASE_URL)
    body = picker.get_data(as_text=True)
    assert picker.status_code == 200, body
    csrf = body.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    slugs = [line.split('value="')[1].split('"')[0] for line in body.splitlines()
             if 'name="pods"' in line]
    assert slugs, "the catalogue lists pods"
    response = client.post(path, data={"lt": query["lt"], "csrf_token": csrf,
                                       "pods": slugs[:2]}, base_url=TOOL_BASE_URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert ('action="https://lms.example.edu/courses/311/deep_linking_response?modal=true"'
            in html)
    token = html.split('name="JWT" value="')[1].split('"')[0]
    jwks = client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()
    key = jwt.PyJWK(jwks["keys"][0])
    message = jwt.decode(token, key, algorithms=["RS256"], audience=platform.issuer)
    assert message["iss"] == platform.client_id
    assert message[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert message[LTI + "deployment_id"] == platform.deployment_id
    assert message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data-123"
    items = message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [i["custom"]["pod"] for i in items] == slugs[:2]
    for item in items:
        assert item["type"] == "ltiResourceLink"
        assert item["url"] == TOOL_BASE_URL + "/lti/launch"
        assert item["lineItem"]["scoreMaximum"] == 100
        assert item["lineItem"]["resourceId"] == item["custom"]["pod"]


def test_deep_link_form_needs_its_csrf_token(client, platform):
    _, query = landing(platform.launch(client, role="Instructor", pod=None,
                                       message_type="LtiDeepLinkingRequest"))
    response = client.post("/lti/deep-link", data={"lt": query["lt"], "pods": ["governance"]},
                           base_url=TOOL_BASE_URL)
    assert response.status_code == 400


def test_resident_cannot_use_deep_linking(client, platform):
    _, query = landing(platform.launch(client, role="Learner", pod=None,
                                       message_type="LtiDeepLinkingRequest"))
    response = client.get("/lti/deep-link", query_string=query, base_url=TOOL_BASE_URL)
    assert response.status_code == 403


@pytest.mark.parametrize("accept_types", [["link"], ["file", "html"]])
def test_deep_link_refuses_when_resource_links_are_not_accepted(client, platform, accept_types):
    auth = platform.login(client)
    claims = platform.claims(nonce=auth["nonce"], role="Instructor", pod=None,
                             message_type="LtiDeepLinkingRequest")
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["accept_types"] = accept_types
    response = platform.post_launch(client, platform.sign(claims), auth["state"])
    assert response.status_code == 400
    assert "does not accept LTI resource links" in response.get_data(as_text=True)


def test_old_nonces_are_pruned(app, client, platform, monkeypatch):
    from datetime import timedelta

    from leadership_pods.config.database import utcnow
    from leadership_pods.lti_tool.models import UsedNonce

    landing(platform.launch(client))
    db = app.extensions["leadership_pods"]["db"]
    with db.transaction() as s:
        for row in s.scalars(select(UsedNonce)):
            row.used_at = utcnow() - timedelta(days=2)
    monkeypatch.setattr("leadership_pods.lti_tool.launch.PRUNE_RATE", 1.0)
    landing(platform.launch(client))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UsedNonce)) == 1


def test_deep_link_one_item_only_when_multiple_not_accepted(client, platform):
    auth = platform.login(client)
    claims = platform.claims(nonce=auth["nonce"], role="Instructor", pod=None,
                             message_type="LtiDeepLinkingRequest")
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["accept_multiple"] = False
    _, query = landing(platform.post_launch(client, platform.sign(claims), auth["state"]))
    page = client.get("/lti/deep-link", query_string=query, base_url=TOOL_BASE_URL).get_data(as_text=True)
    assert 'type="radio" name="pods"' in page
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/lti/deep-link", data={"lt": query["lt"], "csrf_token": csrf,
                                                   "pods": ["governance", "quality-improvement"]},
                           base_url=TOOL_BASE_URL)
    assert response.status_code == 400
    assert "accepts one pod at a time" in response.get_data(as_text=True)


def test_forwarded_proto_from_a_trusted_proxy_makes_cookies_secure(database_url, tmp_path):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, base_url="http://pods.internal", proxy_count=1)
    canvas = TestPlatform()
    canvas.base_url = "http://127.0.0.1:9"
    register(app, canvas)
    params = canvas.login_params(target_link_uri="http://pods.internal/lti/launch")
    plain = app.test_client().get("/lti/login", query_string=params,
                                  base_url="http://pods.internal")
    assert "Secure" not in plain.headers["Set-Cookie"]
    proxied = app.test_client().get("/lti/login", query_string=params,
                                    base_url="http://pods.internal",
                                    headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1"})
    cookie = proxied.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=None" in cookie and "Partitioned" in cookie
    app.extensions["leadership_pods"]["db"].dispose()


def test_moodle_new_window_restarts_from_moodles_launch_page(app, moodle):
    client = app.test_client(use_cookies=False)
    auth = moodle.login(client, lti_message_hint='{"cmid":2,"launchid":"ltilaunch1_1"}')
    response = moodle.post_launch(client, moodle.sign(moodle.claims(nonce=auth["nonce"])),
                                  auth["state"])
    assert response.status_code == 409
    again = client.get("/lti/relaunch", query_string={"state": auth["state"]},
                       base_url=TOOL_BASE_URL)
    assert again.status_code == 303
    assert again.headers["Location"] == "https://moodle.example.edu/mod/lti/launch.php?id=2"


def test_repeat_launches_reuse_the_registration_snapshot(app, client, platform, db):
    """The registration and deployment of a launch are read once per few seconds per worker,
    not on every login and launch (the request's session is bound to its connection)."""
    from sqlalchemy import event

    landing(platform.launch(client))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        landing(platform.launch(app.test_client()))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "FROM lti_platform" in s or "FROM lti_deployment" in s]
