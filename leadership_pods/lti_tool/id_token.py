"""Checking an id_token's RS256 signature and its registered claims (pure).

The signature is verified over the token's first two segments exactly as received,
with the platform's RSA key (PKCS#1 v1.5, SHA-256); then ``exp``, ``iat``, ``nbf``,
``iss``, ``aud`` and ``nonce`` are checked with a leeway for clock skew. This does in
one pass what PyJWT's ``decode`` does, without decoding the token a second time.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import LaunchError

REQUIRED = ("exp", "iat", "iss", "aud", "nonce")


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LaunchError("the id_token's signature is not base64url",
                          check="id-token-format") from exc


def verify_signature(id_token: str, key: Any) -> None:
    """Raise unless ``key`` (an RSA public key) signed the token with RS256."""
    if not isinstance(key, rsa.RSAPublicKey):
        raise LaunchError("the platform key for this id_token is not an RSA key", check="alg")
    signing_input, _, signature = id_token.rpartition(".")
    try:
        key.verify(_b64url(signature), signing_input.encode("ascii"), padding.PKCS1v15(),
                   hashes.SHA256())
    except (InvalidSignature, UnicodeEncodeError) as exc:
        raise LaunchError("the id_token's signature does not verify with the platform's "
                          "published key", check="signature",
                          hint="Check the registration's key set URL (JWKS).",
                          status=401) from exc


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LaunchError(f"the id_token's {name} claim is not a number", check=name)
    return float(value)


def check_registered_claims(claims: Mapping[str, Any], *, issuer: str, client_id: str,
                            leeway: int, now: float | None = None) -> None:
    """``exp``/``iat``/``nbf`` with leeway, exact ``iss``, our client id among ``aud``."""
    for name in REQUIRED:
        if claims.get(name) in (None, "", []):
            raise LaunchError(f"the id_token has no {name} claim", check=name)
    now = time.time() if now is None else now
    if _number(claims, "exp") <= now - leeway:
        raise LaunchError("the id_token has expired", check="exp",
                          hint="Check the clocks of the LMS and tool servers (NTP).")
    if _number(claims, "iat") > now + leeway:
        raise LaunchError("the id_token was issued in the future, beyond the allowed clock "
                          "skew", check="iat",
                          hint="Check the clocks of the LMS and tool servers.")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise LaunchError("the id_token is not valid yet (nbf)", check="iat")
    if claims["iss"] != issuer:
        raise LaunchError("the id_token's issuer does not match the registration", check="iss",
                          status=403)
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise LaunchError("the id_token's audience is not this tool's client id", check="aud",
                          status=403)
