"""Problems found in an instance's configuration, worded for the operator who fixes them.

pydantic's errors are precise but speak Python ("Input should be a valid integer"); an
operator editing TOML needs the key, where it came from and what would be accepted. Each
error becomes one ``Problem`` naming its file or environment variable and its dotted key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from fedi.config.schema import InstanceConfig


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration.

    ``source`` is a file path as the operator gave it, or ``"environment JAMII_X"``;
    ``key`` is the dotted key (``"languages.primary"``), or ``""`` for the whole file.
    """

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        if not self.key:
            return f"{self.source}: {self.message}"
        return f"{self.source}:{self.key}: {self.message}"


class ConfigError(Exception):
    """Raised by ``load_config``; carries every problem found, printed one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def problems_from(
    error: ValidationError, file_source: str, origins: Mapping[str, str]
) -> list[Problem]:
    """Turn each of pydantic's errors into a Problem.

    ``origins`` maps a dotted key to the environment variable that set it, so that a bad
    override is blamed on the variable rather than on a file that never held the value.
    """
    problems = []
    for detail in error.errors(include_url=False):
        names = [str(part) for part in detail["loc"] if not isinstance(part, int)]
        entries = [part for part in detail["loc"] if isinstance(part, int)]
        key = ".".join(names)
        message = _message(detail, names)
        if entries:
            message = f"entry {entries[-1] + 1}: {message}"
        source = f"environment {origins[key]}" if key in origins else file_source
        problems.append(Problem(source, key, message))
    return problems


def _message(detail: ErrorDetails, names: Sequence[str]) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx", {})
    field = _field(names)
    got = f"(got {_describe(detail['input'])})"
    if kind == "missing":
        if field is not None and _table(field) is not None:
            return f"required table [{'.'.join(names)}] is missing"
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key" + _suggestion(names)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"must be one of {', '.join(choices)} {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false {got}"
    if kind.startswith("int_") or kind in _BOUNDS:
        return f"must be an integer{_range(field)} {got}"
    if kind in ("string_type", "string_sub_type"):
        return f"must be a string {got}"
    if kind in ("string_too_short", "string_too_long"):
        low, high = _bounds(field, "min_length", "max_length")
        if kind == "string_too_short" and low == 1:
            return "must not be empty"
        length = f"(got {len(str(detail['input']))} characters)"
        if high is None:
            return f"must be at least {low} characters long {length}"
        return f"must be {low or 0} to {high} characters long {length}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a table {got}"
    if kind in ("path_type", "path_parsing"):
        return f"must be a path written as a string {got}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return detail["msg"][:1].lower() + detail["msg"][1:]


_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _field(names: Sequence[str]) -> FieldInfo | None:
    """The schema's description of a dotted key, for bounds and hints."""
    model: type[BaseModel] | None = InstanceConfig
    field = None
    for name in names:
        if model is None:
            return None
        field = model.model_fields.get(name)
        if field is None:
            return None
        model = _table(field)
    return field


def _table(field: FieldInfo) -> type[BaseModel] | None:
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _bounds(field: FieldInfo | None, low: str, high: str) -> tuple[int | None, int | None]:
    found: dict[str, int] = {}
    for constraint in field.metadata if field is not None else ():
        for name in (low, high):
            value = getattr(constraint, name, None)
            if isinstance(value, int):
                found[name] = value
    return found.get(low), found.get(high)


def _range(field: FieldInfo | None) -> str:
    low, high = _bounds(field, "ge", "le")
    if low is not None and high is not None:
        return f" between {low} and {high}"
    if low is not None:
        return f" of at least {low}"
    return f" of at most {high}" if high is not None else ""


def _suggestion(names: Sequence[str]) -> str:
    parent = _field(names[:-1]) if len(names) > 1 else None
    model = InstanceConfig if len(names) == 1 else (_table(parent) if parent else None)
    if model is None:
        return ""
    known: Iterable[str] = (name for name in model.model_fields if name != "instance_dir")
    close = difflib.get_close_matches(names[-1], list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: object) -> str:
    """Show a value the way it would be written in TOML, briefly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
