"""The app's JSON (``request.get_json``, ``jsonify``, ``tojson``) through
:mod:`..config.fast_json`, with Flask's own conversions for the types JSON lacks (dates as
HTTP dates, decimals and UUIDs as strings, dataclasses as objects). Objects keep the order
they were built in (Flask's default sorts their keys, work no reader here needs)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

from ..config import fast_json


class FastJSONProvider(DefaultJSONProvider):
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # indentation and other formatting: the standard library's
            return super().dumps(obj, **kwargs)
        return fast_json.dumps_bytes(obj, self.default, sort_keys=self.sort_keys).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return fast_json.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)  # indented, for people reading it
        body = fast_json.dumps_bytes(self._prepare_response_obj(args, kwargs), self.default,
                                     sort_keys=self.sort_keys)
        response_class: Any = self._app.response_class  # a flask.Response, taking bytes
        return response_class(body + b"\n", mimetype=self.mimetype)
