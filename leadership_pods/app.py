"""The app factory: a short list of named steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import __version__
from .commands import register_commands
from .config.database import Database
from .config.logging import configure_logging
from .config.settings import Settings, load_settings
from .lti_tool.keys import KeyCipher
from .lti_tool.launch_token import LaunchTokens
from .lti_tool.login import LoginStates
from .web.errors import register_error_handlers
from .web.json_provider import FastJSONProvider
from .web.no_session import NoSessionInterface
from .web.scope import EXTENSION
from .web.security import register_security_headers
from .web.transactions import register_transactions

USER_AGENT = f"LeadershipPods/{__version__} (LTI 1.3 tool)"


def _init_database(app: Flask, settings: Settings) -> None:
    db = Database(settings.database_url)
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    app.extensions[EXTENSION] = {
        "settings": settings,
        "db": db,
        "http": http,
        "cipher": KeyCipher(settings.key_encryption_key or settings.secret_key),
        "launch_tokens": LaunchTokens(settings.secret_key, settings.launch_token_ttl),
        "login_states": LoginStates(settings.secret_key, settings.login_state_ttl),
    }


def _configure_flask(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        DEBUG=settings.debug,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
        PREFERRED_URL_SCHEME="https" if settings.is_https else "http",
    )
    app.session_interface = NoSessionInterface()
    if settings.proxy_count:
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from .demo.views import blueprint as demo_blueprint
    from .lti_tool.registration_views import blueprint as lti_registration_blueprint
    from .lti_tool.views import blueprint as lti_blueprint
    from .pods.budget.views import blueprint as budget_blueprint
    from .pods.faculty_views import blueprint as pods_faculty_blueprint
    from .pods.views import blueprint as pods_blueprint
    from .rubrics.grading_views import blueprint as grading_blueprint
    from .rubrics.views import blueprint as rubrics_blueprint
    from .web.views import blueprint as web_blueprint

    app.register_blueprint(web_blueprint)
    app.register_blueprint(lti_blueprint)
    app.register_blueprint(lti_registration_blueprint)
    app.register_blueprint(pods_blueprint)
    app.register_blueprint(pods_faculty_blueprint)
    app.register_blueprint(budget_blueprint)
    app.register_blueprint(rubrics_blueprint)
    app.register_blueprint(grading_blueprint)
    if settings.demo:
        app.register_blueprint(demo_blueprint)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    configure_logging(settings.debug)
    app = Flask(__name__, instance_path=str(settings.instance_path),
                template_folder="web/templates", static_folder="web/static")
    app.json = FastJSONProvider(app)
    _configure_flask(app, settings)
    _init_database(app, settings)
    register_transactions(app)
    register_security_headers(app)
    _register_blueprints(app, settings)
    register_error_handlers(app)
    register_commands(app)
    return app
