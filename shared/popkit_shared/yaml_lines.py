"""Load YAML and remember the line of every key, so validation errors can name the line."""

from __future__ import annotations

from typing import Any

import yaml


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; `line` is 1-based when YAML knows it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text; return (data, {dotted.path: line}) with 1-based lines for keys and list items."""
    loader = yaml.SafeLoader(text)  # one parse: the node tree gives the lines, then the data is built from it
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(str(exc.problem or exc), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if node is not None:
        _collect(node, "", lines)
    return data, lines


def _collect(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _collect(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            lines[path] = item.start_mark.line + 1
            _collect(item, path, lines)
