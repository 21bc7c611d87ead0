import time

import jwt
import pytest

from leadership_pods.lti_tool.errors import LaunchError
from leadership_pods.lti_tool.id_token import check_registered_claims, verify_signature
from tests.support.platform import PlatformKey

NOW = 1_800_000_000
GOOD = {"iss": "https://lms.example", "aud": "client-1", "exp": NOW + 60, "iat": NOW,
        "nonce": "n-1"}


def check(claims, **kw):
    check_registered_claims(claims, issuer="https://lms.example", client_id="client-1",
                            leeway=kw.pop("leeway", 60), now=kw.pop("now", NOW))


def test_good_claims_pass():
    check(GOOD)
    check({**GOOD, "aud": ["client-1"]})


@pytest.mark.parametrize(("change", "failed_check"), [
    ({"exp": NOW - 61}, "exp"), ({"iat": NOW + 61}, "iat"), ({"nbf": NOW + 61}, "iat"),
    ({"exp": "tomorrow"}, "exp"), ({"exp": True}, "exp"), ({"iss": "https://other"}, "iss"),
    ({"aud": "client-2"}, "aud"), ({"aud": ["client-2"]}, "aud"), ({"aud": {"x": 1}}, "aud"),
    ({"nonce": ""}, "nonce"), ({"exp": None}, "exp"), ({"iat": None}, "iat"),
])
def test_each_claim_is_checked(change, failed_check):
    claims = {**GOOD, **change}
    claims = {k: v for k, v in claims.items() if v is not None}
    with pytest.raises(LaunchError) as caught:
        check(claims)
    assert caught.value.check == failed_check


def test_leeway_tolerates_skew():
    check({**GOOD, "exp": NOW - 30, "iat": NOW + 30})


def test_signature_verifies_only_with_the_signing_key():
    key, other = PlatformKey("a"), PlatformKey("b")
    token = jwt.encode({"x": 1, "t": time.time()}, key.private_key, algorithm="RS256")
    verify_signature(token, key.private_key.public_key())
    with pytest.raises(LaunchError) as caught:
        verify_signature(token, other.private_key.public_key())
    assert caught.value.check == "signature"
    head, body, sig = token.split(".")
    tampered = f"{head}.{body[:-2]}AA.{sig}"
    with pytest.raises(LaunchError):
        verify_signature(tampered, key.private_key.public_key())
    with pytest.raises(LaunchError):
        verify_signature(f"{head}.{body}.!!!", key.private_key.public_key())
