"""WTForms with CSRF tokens bound to the launch, not to a cookie.

Inside an LMS iframe the browser may drop the tool's cookies, so a session-cookie CSRF
scheme would fail exactly where the tool lives. The token here is an HMAC of the
launch id under the app's secret: only a page rendered for that launch can carry it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms.csrf.core import CSRF
from wtforms.fields import Field
from wtforms.validators import ValidationError


class LaunchCSRF(CSRF):  # type: ignore[misc]
    def setup_form(self, form: Any) -> Any:
        self.launch_id = getattr(form.meta, "launch_id", "")
        return super().setup_form(form)

    def _token(self) -> str:
        secret = current_app.config["SECRET_KEY"].encode()
        return hmac.new(secret, b"csrf:" + self.launch_id.encode(), hashlib.sha256).hexdigest()

    def generate_csrf_token(self, csrf_token_field: Field) -> str:
        return self._token()

    def validate_csrf_token(self, form: Any, field: Field) -> None:
        if not self.launch_id or not hmac.compare_digest(str(field.data or ""), self._token()):
            raise ValidationError("This form has expired; reload the page and try again.")


class LaunchForm(FlaskForm):  # type: ignore[misc]
    """Base of every form the tool shows after a launch."""

    class Meta:
        csrf = True
        csrf_class = LaunchCSRF
        launch_id = ""

    def __init__(self, *args: Any, launch_id: str, **kwargs: Any) -> None:
        super().__init__(*args, meta={"launch_id": launch_id}, **kwargs)
