"""The operator CLI through the real console script's command group."""

from __future__ import annotations

import os
import subprocess
import sys

from leadership_pods.cli import main

ADD = ["platforms", "add", "--issuer", "https://moodle.example.edu", "--client-id", "abc123",
       "--auth-login-url", "https://moodle.example.edu/mod/lti/auth.php",
       "--auth-token-url", "https://moodle.example.edu/mod/lti/token.php",
       "--keyset-url", "https://moodle.example.edu/mod/lti/certs.php",
       "--deployment-id", "1", "--deployment-id", "2", "--name", "Example Moodle"]


def test_platforms_add_then_list(runner):
    result = runner.invoke(main, ADD)
    assert result.exit_code == 0, result.output
    assert "registered platform" in result.output
    listing = runner.invoke(main, ["platforms", "list"])
    assert listing.exit_code == 0
    assert "Example Moodle" in listing.output and "client id:   abc123" in listing.output
    assert "deployment:  1\t(registered)" in listing.output
    assert "deployment:  2\t(registered)" in listing.output


def test_duplicate_registration_is_one_line_and_non_zero(runner):
    runner.invoke(main, ADD)
    result = runner.invoke(main, ADD)
    assert result.exit_code == 1
    assert "already registered" in result.output
    assert "Traceback" not in result.output


def test_http_urls_are_accepted_with_a_warning(runner):
    args = [a.replace("https://", "http://") for a in ADD]
    result = runner.invoke(main, args)
    assert result.exit_code == 0
    assert "warning:" in result.output and "plain http://" in result.output


def test_bad_url_is_refused(runner):
    args = list(ADD)
    args[args.index("--keyset-url") + 1] = "certs.php"
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "key set URL must be an absolute http(s) URL" in result.output


def test_missing_option_is_a_usage_error(runner):
    result = runner.invoke(main, ["platforms", "add", "--issuer", "https://x.example"])
    assert result.exit_code == 2
    assert "Missing option" in result.output


def test_registration_takes_effect_without_restart(app, client, runner):
    from tests.support.platform import TOOL_BASE_URL

    params = {"iss": "https://moodle.example.edu", "login_hint": "4", "client_id": "abc123",
              "target_link_uri": TOOL_BASE_URL + "/lti/launch"}
    assert client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL).status_code == 400
    runner.invoke(main, ADD)
    assert client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL).status_code == 302


def test_console_script_without_secret_key_outside_demo_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    env["LEADERSHIP_PODS_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "leadership_pods.cli", "platforms", "list"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
