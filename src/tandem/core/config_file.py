"""Policy files (YAML) checked like code: a typo must stop the product at start-up, naming the file, the
line and the values that would have been accepted, instead of silently disabling a rule.

PyYAML parses the file into nodes that remember their line; pydantic validates the plain data with
``extra="forbid"``; each validation error is mapped back to the line of the offending key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from tandem.core.errors import ConfigurationError

ModelT = TypeVar("ModelT", bound=BaseModel)
Location = tuple[str | int, ...]


class PolicyFileError(ConfigurationError):
    code = "invalid_policy_file"


def load_policy_file(path: Path, model: type[ModelT]) -> ModelT:
    """Parse and validate ``path`` as ``model``, or raise ``PolicyFileError`` with file, line and the
    allowed values of every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(f"{path}: cannot read the policy file ({exc.strerror or exc}).") from None
    return parse_policy(text, model, source=str(path))


def parse_policy(text: str, model: type[ModelT], *, source: str) -> ModelT:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyFileError(f"{where}: not valid YAML ({problem}).") from None
    if node is None:
        raise PolicyFileError(f"{source}: the file is empty.")
    lines: dict[Location, int] = {}
    data = _plain(node, (), lines)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, model, lines, source) for error in exc.errors()]
        raise PolicyFileError(
            "Invalid policy file:\n  " + "\n  ".join(problems), problems=problems, file=source
        ) from None


def _plain(node: yaml.Node, location: Location, lines: dict[Location, int]) -> Any:
    """Node tree → plain data, recording the line of every key and list item."""
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), key_node)
            lines[(*location, key)] = key_node.start_mark.line + 1
            result[key] = _plain(value_node, (*location, key), lines)
            lines[(*location, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*location, index), lines) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _describe(error: Any, model: type[BaseModel], lines: dict[Location, int], source: str) -> str:
    location = _file_location(tuple(error["loc"]), lines)
    message = error["msg"]
    if error["type"] == "missing":
        message = f"the required field '{error['loc'][-1]}' is missing"
    elif error["type"] == "extra_forbidden":
        allowed = _fields_at(model, tuple(error["loc"])[:-1])
        message = f"unknown field '{location[-1]}'"
        if allowed:
            message += f"; allowed fields: {', '.join(allowed)}"
    elif error["type"] == "union_tag_invalid":
        context = error.get("ctx", {})
        message = (
            f"unknown {context.get('discriminator', 'kind').strip(chr(39))} {context.get('tag')!r}; "
            f"allowed: {context.get('expected_tags')}"
        )
    elif error["type"] in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        low, high = _bounds_at(model, tuple(error["loc"]))
        message = f"{error['input']!r} is out of range; allowed: {_range(low, high)}"
    where = _readable_location(tuple(error["loc"]) if error["type"] == "missing" else location)
    return f"{source}:{lines.get(location, 1)}: {where or '(top level)'}: {message.removeprefix('Value error, ')}"


def _file_location(location: Location, lines: dict[Location, int]) -> Location:
    """The deepest part of ``location`` that exists in the file; pydantic inserts the tag of a tagged
    union (``rules.0.frustration.threshold``), which the file does not have."""
    found: Location = ()
    for part in location:
        if (*found, part) in lines:
            found = (*found, part)
    return found


def _bounds_at(model: type[BaseModel], location: Location) -> tuple[Any, Any]:
    annotation: Any = model
    metadata: list[Any] = []
    for part in location:
        owners = [m for m in _members(annotation) if _is_model(m)]
        if owners and isinstance(part, str) and part in owners[0].model_fields:
            metadata = list(owners[0].model_fields[part].metadata)
        annotation = _step(annotation, part)
        if get_origin(annotation) is Annotated:
            metadata = [m for extra in get_args(annotation)[1:] for m in getattr(extra, "metadata", [extra])]
    low = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
    return low, high


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _readable_location(location: Location) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _fields_at(model: type[BaseModel], location: Location) -> list[str]:
    """Field names of the model found at ``location``, walking fields, list items, dict values and the
    tag that pydantic adds for a member of a tagged union."""
    current: Any = model
    for part in location:
        current = _step(current, part)
        if current is None:
            return []
    models = [m for m in _members(current) if _is_model(m)]
    return sorted(models[0].model_fields) if len(models) == 1 else []


def _step(annotation: Any, part: str | int) -> Any:
    for member in _members(annotation):
        if _is_model(member):
            if isinstance(part, str) and part in member.model_fields:
                return member.model_fields[part].annotation
            continue
        arguments = get_args(member)
        origin = get_origin(member)
        if origin in (list, tuple, set, frozenset) and isinstance(part, int) and arguments:
            return arguments[0]
        if origin is dict and isinstance(part, str) and len(arguments) == 2:
            return arguments[1]
    tagged = [m for m in _members(annotation) if _is_model(m) and _has_tag(m, part)]
    return tagged[0] if tagged else None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (also inside ``Annotated``), or the annotation itself."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    arguments = get_args(annotation)
    if arguments and origin not in (list, tuple, set, frozenset, dict):
        result: list[Any] = []
        for argument in arguments:
            result.extend(_members(argument))
        return result
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _has_tag(model: type[BaseModel], tag: str | int) -> bool:
    return any(tag in get_args(field.annotation) for field in model.model_fields.values())
