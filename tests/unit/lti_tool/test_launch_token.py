"""Launch tokens: the launch they name, refused when tampered, foreign or expired, and
renewed while a page stays active."""

from __future__ import annotations

import pytest

from leadership_pods.lti_tool.errors import LaunchSessionError
from leadership_pods.lti_tool.launch_token import LaunchTokens

LAUNCH = "0b0e7c52-8a3c-4c36-9d70-1c0e5b4b7f11"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> LaunchTokens:
    return LaunchTokens("secret-" + "x" * 30, ttl=3600, clock=clock)


def test_a_token_names_its_launch_and_is_url_safe(tokens: LaunchTokens) -> None:
    token = tokens.issue(LAUNCH)
    assert tokens.open(token) == (LAUNCH, token)
    assert tokens.open(token)[0] == LAUNCH
    assert all(c.isalnum() or c in "-_." for c in token)


def test_a_young_token_is_kept_and_an_older_one_renewed(tokens: LaunchTokens,
                                                        clock: Clock) -> None:
    token = tokens.issue(LAUNCH)
    clock.now += 359
    assert tokens.open(token)[1] == token
    clock.now += 2
    launch_id, renewed = tokens.open(token)
    assert launch_id == LAUNCH and renewed != token
    clock.now += 3599  # the old one has expired; the renewed one lives on
    assert tokens.open(renewed)[0] == LAUNCH
    with pytest.raises(LaunchSessionError, match="expired"):
        tokens.open(token)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
    lambda t: "1" + t,                                              # launch id
    lambda t: t.replace(".", ".0", 1),                              # issued time
    lambda t: t.split(".", 1)[0],                                   # no signature
    lambda t: "garbage",
    lambda t: "é." + t,
])
def test_a_tampered_token_is_refused(tokens: LaunchTokens, mangle) -> None:
    with pytest.raises(LaunchSessionError, match="not valid"):
        tokens.open(mangle(tokens.issue(LAUNCH)))


def test_a_token_of_another_secret_or_from_the_future_is_refused(tokens: LaunchTokens,
                                                                  clock: Clock) -> None:
    other = LaunchTokens("another-secret-" + "y" * 30, ttl=3600, clock=clock)
    with pytest.raises(LaunchSessionError, match="not valid"):
        tokens.open(other.issue(LAUNCH))
    clock.now += 600
    future = tokens.issue(LAUNCH)
    clock.now -= 600
    with pytest.raises(LaunchSessionError, match="not valid"):
        tokens.open(future)


def test_no_token_asks_for_a_launch(tokens: LaunchTokens) -> None:
    with pytest.raises(LaunchSessionError, match="needs a launch"):
        tokens.open(None)
