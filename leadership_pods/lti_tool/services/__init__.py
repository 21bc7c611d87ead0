"""LTI Advantage service clients: access tokens, AGS (grades) and NRPS (rosters).

Service ring: no Flask. Build them with the app's ``Database`` and ``requests.Session``::

    tokens = TokenService(db, signing_key_source, http, timeout)
    calls = ServiceHttp(tokens, http, timeout=timeout)
    ags = AgsClient(calls, PlatformEndpoints.from_platform(platform))
"""

from .ags import AgsClient, LineItem, Result, ScoreClock, ScoreSubmission
from .http import RetryPolicy, ServiceHttp
from .nrps import Member, NrpsClient
from .tokens import PlatformEndpoints, TokenService

__all__ = [
    "AgsClient",
    "LineItem",
    "Member",
    "NrpsClient",
    "PlatformEndpoints",
    "Result",
    "RetryPolicy",
    "ScoreClock",
    "ScoreSubmission",
    "ServiceHttp",
    "TokenService",
]
