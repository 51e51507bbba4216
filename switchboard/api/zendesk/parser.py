"""The API's JSON parser: strict about values Python's json module lets through.

`json.loads` accepts `NaN`, `Infinity` and `-Infinity` (not JSON), turns `1e400` into an infinite
float, and decodes `"\\ud800"` into a lone surrogate that no database can store and no UTF-8
encoder can write. Each would otherwise fail deep inside an action or the database driver (a 500)
or be stored as a value nothing can read back. This parser refuses them up front with a message
naming where in the body the value is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser


class UnacceptableValue(ValueError):
    """The body is JSON, but holds a value the API refuses (non-finite number, lone surrogate)."""


def _constant(name: str) -> Any:
    raise UnacceptableValue(f"{name} is not a JSON number; send a finite number.")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnacceptableValue(f"{text[:40]} is out of range for a number.")
    return value


def _where(path: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "body"


def _check_text(value: Any) -> None:
    """Refuse any string (key or value) that cannot be encoded as UTF-8: a lone surrogate.

    Iterative, so a deeply nested body cannot exhaust the stack; linear in the body's size.
    """
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            _encodable(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _encodable(key, path)
                stack.append((child, [*path, key]))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(item))


def _encodable(text: str, path: list[str | int]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnacceptableValue(
            f"{_where(path)}: the text holds a lone UTF-16 surrogate (\\ud800-\\udfff), "
            "which is not a character; send valid Unicode."
        ) from None


def loads(body: bytes | str) -> Any:
    data = json.loads(body, parse_constant=_constant, parse_float=_float)
    _check_text(data)
    return data


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return loads(request.body)
