"""Typed dataclasses <-> plain JSON data, and JSON Schemas generated from the same type hints.

One mechanism serves every record that crosses a boundary (trial specs, trial records, arms, codebases):
`to_plain` turns a dataclass into JSON-ready data, `from_plain` rebuilds it (checking every field's type),
`json_schema` describes it. Supported hints: str, int, float, bool, None, Path, Any, Literal, X | None,
tuple[X, ...], list[X], dict[str, X] and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")


class PlainError(ValueError):
    """Data that does not fit the typed definition; `path` names the field (e.g. `verification[0].passed`)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path or 'record'}: {message}")


def hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of a dataclass (cached by typing)."""
    return typing.get_type_hints(cls)


def to_plain(value: Any) -> Any:
    """JSON-ready data: dataclasses become objects (field order kept), Paths strings, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def from_plain(cls: type[T], data: Any, path: str = "") -> T:
    """Rebuild a dataclass from plain data; missing fields take their defaults; a wrong type is a PlainError."""
    if not isinstance(data, dict):
        raise PlainError(path, f"expected an object, got {type(data).__name__}")
    kwargs = {}
    types_of = hints(cls)
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise PlainError(_join(path, f.name), "missing")
            continue
        kwargs[f.name] = _convert(types_of[f.name], data[f.name], _join(path, f.name))
    return cls(**kwargs)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType)


def _convert(hint: Any, value: Any, path: str) -> Any:  # noqa: C901 - one branch per kind of hint
    if hint is Any:
        return value
    if _is_union(hint):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, path)
            except PlainError as exc:
                errors.append(str(exc))
        raise PlainError(path, f"does not match any of {_name(hint)}")
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise PlainError(path, f"expected one of {list(typing.get_args(hint))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise PlainError(path, f"expected a list, got {type(value).__name__}")
        item = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        items = [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise PlainError(path, f"expected an object, got {type(value).__name__}")
        item = typing.get_args(hint)[1] if typing.get_args(hint) else Any
        return {str(k): _convert(item, v, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return from_plain(hint, value, path)
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: Any, path: str) -> Any:
    if hint is Path:
        if not isinstance(value, str):
            raise PlainError(path, f"expected a path string, got {type(value).__name__}")
        return Path(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PlainError(path, f"expected a number, got {type(value).__name__}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PlainError(path, f"expected a whole number, got {type(value).__name__}")
        return value
    if hint in (str, bool):
        if not isinstance(value, hint):
            raise PlainError(path, f"expected {hint.__name__}, got {type(value).__name__}")
        return value
    if hint is type(None):
        if value is not None:
            raise PlainError(path, "expected null")
        return None
    raise PlainError(path, f"unsupported type {hint!r}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)


SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    Path: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
}


def json_schema(cls: type, *, title: str, schema_id: str) -> dict[str, Any]:
    """A draft 2020-12 JSON Schema of a dataclass, nested dataclasses under `$defs`."""
    defs: dict[str, Any] = {}
    root = _object_schema(cls, defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, "title": title,
            **root, "$defs": dict(sorted(defs.items()))}


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    types_of = hints(cls)
    properties = {}
    required = []
    for f in dataclasses.fields(cls):
        properties[f.name] = _schema(types_of[f.name], defs)
        doc = f.metadata.get("doc")
        if doc:
            properties[f.name] = {"description": doc, **properties[f.name]}
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object"}
    if cls.__doc__:
        out["description"] = " ".join(cls.__doc__.split())
    out.update({"properties": properties, "required": required, "additionalProperties": False})
    return out


def _schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if hint is Any:
        return {}
    if hint in SCALARS:
        return dict(SCALARS[hint])
    if _is_union(hint):
        return {"anyOf": [_schema(h, defs) for h in typing.get_args(hint)]}
    origin = typing.get_origin(hint)
    if origin is Literal:
        return {"enum": list(typing.get_args(hint))}
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return {"type": "array", "items": _schema(args[0], defs) if args else {}}
    if origin is dict:
        args = typing.get_args(hint)
        return {"type": "object", "additionalProperties": _schema(args[1], defs) if args else {}}
    if dataclasses.is_dataclass(hint):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _object_schema(hint, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for {hint!r}")
