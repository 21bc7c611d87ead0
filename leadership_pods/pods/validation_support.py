"""The validator's reading tools: YAML that remembers where things are, and ``FileCheck``,
which records ``file:line: message`` problems while it reads typed values from a mapping.

Pure: no Flask, no database. Mappings read here carry ``__line__`` (where the mapping
starts), ``__lines__`` (each key's line, as in ``catalogue.read_yaml``), ``__text__`` (the
line a scalar value's text starts on) and ``__items__`` (each list item's line), all 1-based.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

Data = dict[str, Any]
#: (file, line, message); formatted as ``file:line: message`` once sorted
Problem = tuple[str, int, str]


class _Loader(yaml.SafeLoader):
    """A safe loader that records lines and notices keys written twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Data:
    mapping = loader.construct_mapping(node, deep=True)
    lines: dict[str, int] = {}
    text: dict[str, int] = {}
    items: dict[str, list[int]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in lines:
            loader.duplicates.append((key, line, lines[key]))
        lines[key] = line
        if isinstance(value_node, yaml.ScalarNode):
            # a literal block (|) starts on the line after its indicator
            text[key] = value_node.start_mark.line + (2 if value_node.style == "|" else 1)
        elif isinstance(value_node, yaml.SequenceNode):
            items[key] = [item.start_mark.line + 1 for item in value_node.value]
    result: Data = {str(k): v for k, v in mapping.items()}
    result.update(__lines__=lines, __line__=node.start_mark.line + 1, __text__=text,
                  __items__=items)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_FENCED_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(^ {0,3}\1|\Z)", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1", re.S)
_HTML = re.compile(r"<(/?[A-Za-z][A-Za-z0-9-]*)(?=[\s/>])|<!--|<\?|<!\[CDATA\[|<![A-Za-z]")


def _blank_out(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def html_tags(markdown: str) -> list[tuple[int, str]]:
    """Raw HTML in Markdown outside code, as (line offset, tag): the first tag of each line.

    Autolinks (``<https://…>``, ``<name@example.org>``) and ``a < b`` are not HTML.
    """
    prose = _CODE_SPAN.sub(_blank_out, _FENCED_CODE.sub(_blank_out, markdown))
    found: dict[int, str] = {}
    for match in _HTML.finditer(prose):
        offset = prose.count("\n", 0, match.start())
        found.setdefault(offset, "<" + match.group(1) if match.group(1) else match.group())
    return sorted(found.items())


def describe(value: Any) -> str:
    """A value's YAML type in an author's words."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss, else nothing."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def one_of(word: str, choices: Sequence[str]) -> str:
    """A suggestion for a near miss, else the list to choose from."""
    return suggest(word, choices) or f" (one of: {', '.join(choices)})"


class FileCheck:
    """Problems found in one file of a package, and typed reads that report wrong types.

    Reads never report a missing key (``shape`` does, once); they return the default.
    """

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def add(self, line: int, message: str) -> None:
        self.problems.append((str(self.path), line, message))

    @staticmethod
    def line(data: Data, key: str | None = None) -> int:
        start = int(data.get("__line__", 1))
        return int(data.get("__lines__", {}).get(key, start)) if key else start

    @staticmethod
    def item_line(data: Data, key: str, index: int) -> int:
        items: list[int] = data.get("__items__", {}).get(key, [])
        return items[index] if index < len(items) else FileCheck.line(data, key)

    def shape(self, data: Data, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        """Flag unknown keys (with a suggestion), missing required keys and empty values."""
        allowed = [*required, *optional]
        suggested: set[str] = set()
        for key in data:
            if key.startswith("__") or key in allowed:
                continue
            close = closest(key, allowed)
            if close:
                suggested.add(close)
                self.add(self.line(data, key), f"unknown key '{key}' (did you mean '{close}'?)")
            else:
                self.add(self.line(data, key), f"unknown key '{key}' (known keys: "
                                               f"{', '.join(allowed)})")
        for key in required:
            value = data.get(key)
            if key not in data and key not in suggested:
                self.add(self.line(data), f"missing key '{key}'")
            elif key in data and (value is None or isinstance(value, str) and not value.strip()):
                self.add(self.line(data, key), f"'{key}' is empty")

    def wrong_type(self, data: Data, key: str, expected: str) -> None:
        value = data.get(key)
        hint = " (put it in quotes)" if expected == "text" and not isinstance(value, list | dict) else ""
        self.add(self.line(data, key), f"'{key}' must be {expected}, not {describe(value)}{hint}")

    def text(self, data: Data, key: str, *, markdown: bool = False) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.wrong_type(data, key, "text")
            return ""
        if markdown:
            start = int(data.get("__text__", {}).get(key, self.line(data, key)))
            literal = start > self.line(data, key)
            for offset, tag in html_tags(value):
                self.add(start + offset if literal else start,
                         f"raw HTML '{tag}' in '{key}': the player does not show raw HTML; "
                         "write it in Markdown")
        return value

    def integer(self, data: Data, key: str, *, minimum: int | None = None) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.wrong_type(data, key, "a whole number")
            return None
        if minimum is not None and value < minimum:
            rule = "more than 0" if minimum == 1 else f"at least {minimum}"
            self.add(self.line(data, key), f"'{key}' must be {rule}, not {value}")
            return None
        return value

    def boolean(self, data: Data, key: str) -> bool:
        value = data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.wrong_type(data, key, "true or false")
            return False
        return value

    def mapping(self, data: Data, key: str) -> Data | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.wrong_type(data, key, "a mapping")
            return None
        return value

    def entries(self, data: Data, key: str) -> list[Data]:
        """A list of mappings; items that are not mappings are reported and skipped."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.wrong_type(data, key, "a list")
            return []
        result: list[Data] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                result.append(item)
            else:
                self.add(self.item_line(data, key, index),
                         f"each entry of '{key}' must be a mapping of keys to values, "
                         f"not {describe(item)}")
        return result

    def strings(self, data: Data, key: str) -> list[tuple[int, str]]:
        """A list of text items, as (line, text); other items are reported and skipped."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.wrong_type(data, key, "a list")
            return []
        result: list[tuple[int, str]] = []
        for index, item in enumerate(value):
            line = self.item_line(data, key, index)
            if isinstance(item, str) and item.strip():
                result.append((line, item))
            else:
                self.add(line, f"each entry of '{key}' must be text, not {describe(item)}")
        return result

    def count(self, data: Data, key: str, low: int, high: int | None = None) -> None:
        """Flag a list whose length is outside ``low``..``high`` (no upper bound when None)."""
        value = data.get(key)
        if not isinstance(value, list) or low <= len(value) <= (high or len(value)):
            return
        if high is None:
            rule = f"at least {low} {'entry' if low == 1 else 'entries'}"
        else:
            rule = f"exactly {low}" if low == high else f"{low} to {high}"
        self.add(self.line(data, key), f"'{key}' has {len(value)} "
                                       f"{'entry' if len(value) == 1 else 'entries'}; it needs {rule}")

    def unique_ids(self, entries: Sequence[Data], what: str) -> list[str]:
        """Each entry's text ``id``, reporting ids used twice; the ids in order."""
        first: dict[str, int] = {}
        for entry in entries:
            ident = self.text(entry, "id")
            if not ident:
                continue
            if ident in first:
                self.add(self.line(entry, "id"), f"{what} id '{ident}' is used twice "
                                                 f"(first on line {first[ident]})")
            else:
                first[ident] = self.line(entry, "id")
        return list(first)


def read_text(path: Path, check: FileCheck) -> str | None:
    """A package file's UTF-8 text, or None after reporting why it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        check.add(1, "file is missing")
        return None
    except OSError as exc:
        check.add(1, f"cannot be read ({exc.strerror})")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        check.add(raw.count(b"\n", 0, exc.start) + 1,
                  f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        return None


def read_package_yaml(path: Path, check: FileCheck) -> Any:
    """A package's YAML file with lines, or None after reporting why it cannot be read."""
    text = read_text(path, check)
    if text is None:
        return None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start and mark and start.line != mark.line:
            problem += f" ({context} that starts on line {start.line + 1})"
        check.add(mark.line + 1 if mark else 1, f"YAML syntax error: {problem}")
        return None
    finally:
        loader.dispose()
    for key, line, first in loader.duplicates:
        check.add(line, f"key '{key}' is written twice in one mapping (first on line {first})")
    return data


def package_file(folder: Path, name: Any, check: FileCheck, line: int, what: str) -> Path | None:
    """``folder/name`` when it is a file inside the package; else report why and None."""
    if not isinstance(name, str) or not name.strip():
        check.add(line, f"{what} must be a path inside the package, not {describe(name)}")
        return None
    path = folder / name
    if Path(name).is_absolute() or not path.resolve().is_relative_to(folder.resolve()):
        check.add(line, f"{what} '{name}' is outside the package folder")
        return None
    if not path.is_file():
        check.add(line, f"{what} '{name}' does not exist in the package")
        return None
    return path
