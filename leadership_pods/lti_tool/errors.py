"""Errors of the LMS boundary. Each names the check that failed and what to look at."""

from __future__ import annotations


class LtiError(Exception):
    """Base of every refusal at the LMS boundary."""

    status = 400
    check = "lti"
    title = "The launch could not be completed"
    hint = "Ask the LMS administrator to check the tool registration."

    def __init__(self, message: str, *, check: str | None = None, hint: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if check:
            self.check = check
        if hint:
            self.hint = hint
        if status:
            self.status = status


class LoginError(LtiError):
    """The OIDC login initiation cannot go on."""

    check = "login"


class LaunchError(LtiError):
    """An id_token or launch request failed one of the security framework's checks."""

    check = "launch"


class LaunchSessionError(LtiError):
    """A page inside the tool was used without a valid launch token."""

    status = 401
    title = "Please open this activity from your course"
    check = "launch-token"
    hint = "Open the activity again from the course in your LMS."


class AccessDenied(LtiError):
    status = 403
    title = "Not available"
    check = "role"
    hint = "This page is for another role; open it from the LMS with the right role."


class RegistrationError(LtiError):
    """Dynamic registration or a platform registration command failed."""

    check = "registration"


class PlatformServiceError(LtiError):
    """An AGS, NRPS or token call to the platform failed."""

    status = 502
    check = "platform-service"

    def __init__(self, message: str, *, http_status: int | None = None,
                 retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after
