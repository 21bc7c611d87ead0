from leadership_pods.lti_tool.platform_keys import parse_max_age, rsa_keys
from tests.support.platform import PlatformKey


def test_max_age_is_clamped():
    assert parse_max_age("public, max-age=86400", minimum=300, maximum=3600) == 3600
    assert parse_max_age("max-age=10", minimum=300, maximum=3600) == 300
    assert parse_max_age("max-age=900", minimum=300, maximum=3600) == 900
    assert parse_max_age("no-store", minimum=300, maximum=3600) == 300
    assert parse_max_age(None, minimum=300, maximum=86400) == 3600


def test_only_rs256_signing_keys_are_used():
    good = PlatformKey("good").public_jwk()
    enc = dict(PlatformKey("enc").public_jwk(), use="enc")
    hs = {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"}
    no_kid = {k: v for k, v in PlatformKey("x").public_jwk().items() if k != "kid"}
    broken = {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"}
    keys = rsa_keys({"keys": [good, enc, hs, no_kid, broken]})
    assert list(keys) == ["good"]
    assert rsa_keys({"nope": 1}) == {} and rsa_keys([1]) == {}
