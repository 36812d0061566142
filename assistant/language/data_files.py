"""Reading the project's YAML data files — policy metadata and rules, the steering vocabulary —
validated by a schema, with any problem named by its file, line and reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

# libyaml's safe loader when PyYAML was built with it (its wheels are): the same YAML, read about
# ten times faster, which every start and every test assistant pays for the vocabulary.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """What is wrong with a data file: the file, the line (when one is to blame), the reason."""

    file: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.reason}"


class DataFileError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path, schema: type[BaseModel] | None = None) -> Any:
    """The file's data, checked by `schema` when given; a problem raises DataFileError naming the
    line it comes from."""
    if not path.is_file():
        raise DataFileError(Problem(path, None, "missing"))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except UnicodeDecodeError as error:
        raise DataFileError(Problem(path, None, f"not UTF-8 text ({error.reason})")) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        raise DataFileError(Problem(path, mark.line + 1 if mark else None, f"not valid YAML: {reason}")) from None
    except ValueError as error:
        # A value YAML reads but cannot build, such as the date 2027-13-01.
        raise DataFileError(Problem(path, _unbuildable_date_line(path), f"not a valid value: {error}")) from None
    if schema is not None:
        try:
            schema.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise DataFileError(Problem(path, line_of(path, first["loc"]),
                                        f"{where or 'the file'}: {first['msg']}")) from None
    return data


def _unbuildable_date_line(path: Path) -> int | None:
    """The line of the first date-looking value that is no date (the one YAML failed to build)."""
    nodes = [yaml.compose(path.read_text(encoding="utf-8"))]
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, yaml.MappingNode):
            nodes = [value for _, value in node.value] + nodes
        elif isinstance(node, yaml.SequenceNode):
            nodes = list(node.value) + nodes
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                date.fromisoformat(str(node.value)[:10])
            except ValueError:
                return node.start_mark.line + 1
    return None


def line_of(path: Path, loc: Sequence[Any]) -> int | None:
    """The line of the YAML node at `loc` (or of its nearest parent that exists)."""
    node = yaml.compose(path.read_text(encoding="utf-8"))
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
