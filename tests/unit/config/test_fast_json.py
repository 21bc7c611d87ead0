"""fast_json: orjson where it can, the standard library where it cannot, and the app's
JSON provider keeping Flask's conversions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from leadership_pods.config import fast_json


def test_round_trip_is_compact_utf8() -> None:
    value = {"b": [1, 2.5, None, True], "a": "café"}
    assert fast_json.dumps_bytes(value) == '{"b":[1,2.5,null,true],"a":"café"}'.encode()
    assert fast_json.dumps_bytes(value, sort_keys=True).startswith(b'{"a":')
    assert fast_json.loads(fast_json.dumps(value)) == value


def test_what_orjson_refuses_goes_to_the_standard_library() -> None:
    assert fast_json.dumps({"n": 2**70}) == '{"n":1180591620717411303424}'
    assert fast_json.dumps({1: "x"}) == '{"1":"x"}'
    assert fast_json.dumps_bytes({"d": Decimal("1.50")}, default=str) == b'{"d":"1.50"}'
    assert fast_json.loads('{"x": NaN}')["x"] != fast_json.loads('{"x": NaN}')["x"]  # NaN
    assert fast_json.loads('"\\ud800"') == "\ud800"  # a lone surrogate, as json reads it


def test_text_that_is_not_json_raises_the_standard_librarys_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting property name"):
        fast_json.loads(b"{not json")


def test_the_app_provider_keeps_flasks_conversions_and_the_order_built(app) -> None:
    with app.app_context():
        body = app.json.response({"when": datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
                                  "amount": Decimal("12.30"), "z": 1, "a": 2})
    assert body.mimetype == "application/json"
    assert body.get_data() == (b'{"when":"Wed, 02 Dec 2026 09:30:00 GMT","amount":"12.30",'
                               b'"z":1,"a":2}\n')  # in the order built
    assert app.json.loads(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert json.loads(app.json.dumps({"a": 1}, indent=2)) == {"a": 1}
