"""App-wide behaviour: health, error pages, security headers, the demo LMS."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.conftest import make_app
from tests.support.platform import TOOL_BASE_URL


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_unreachable(tmp_path):
    from leadership_pods.app import create_app

    broken = create_app({"testing": True, "database_url": "sqlite:////nonexistent/dir/db.sqlite3",
                         "secret_key": "x" * 32, "instance_path": tmp_path, "demo": False})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_is_a_plain_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_unexpected_error_is_a_500_page_with_an_id_and_no_trace(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    error_id = re.search(r"<code>([0-9a-f]{12})</code>", body).group(1)
    assert error_id in caplog.text


def test_pages_are_framable_with_a_strict_csp(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_demo_is_absent_outside_the_embedded_default(client):
    assert client.get("/demo/").status_code == 404


def test_demo_lms_launches_through_the_real_validation(tmp_path):
    from leadership_pods.config.migrate import upgrade
    from leadership_pods.demo.seed import seed_demo_platform

    app = make_app(f"sqlite:///{tmp_path}/demo.db", tmp_path, demo=True,
                   base_url="http://localhost", create_schema=False)
    ext = app.extensions["leadership_pods"]
    upgrade(ext["db"].engine)
    with ext["db"].transaction() as session:
        seed_demo_platform(session, ext["settings"])
        seed_demo_platform(session, ext["settings"])  # idempotent
    client = app.test_client()
    assert client.get("/").headers["Location"].endswith("/demo/")
    lms = client.get("/demo/?role=faculty&open=governance").get_data(as_text=True)
    frame = re.search(r'<iframe src="([^"]+)"', lms).group(1).replace("&amp;", "&")
    login = client.get(frame)
    assert login.status_code == 302
    authorize = client.get(login.headers["Location"].replace("http://localhost", ""))
    body = authorize.get_data(as_text=True)
    token = re.search(r'name="id_token" value="([^"]+)"', body).group(1)
    state = re.search(r'name="state" value="([^"]+)"', body).group(1)
    launch = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert launch.status_code == 303, launch.get_data(as_text=True)
    assert urlsplit(launch.headers["Location"]).path == "/pods/governance"
    page = client.get(launch.headers["Location"]).get_data(as_text=True)
    assert "Governance" in page and "Dr. Priya Raman" in page
    assert TOOL_BASE_URL not in page
