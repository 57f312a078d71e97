"""Rubric files: YAML (``.yaml``/``.yml``) or TOML (``.toml``), shipped in ``data/rubrics/``.

A rubric is named by its file: ``chaoyang-2020-sector`` is ``data/rubrics/chaoyang-2020-sector.yaml``
and its ``name`` field must say so.  Adding a file there (or passing any file's path) adds a
rubric without code changes; every load validates it (:func:`~fundwatch.data.rubric.model.parse_rubric`),
once per content of the file: a changed file is parsed again, an unchanged one is not.
"""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path

import yaml

from .model import Rubric, RubricError, parse_rubric

RUBRIC_DIR = Path(__file__).resolve().parent.parent / "rubrics"
SUFFIXES = (".yaml", ".yml", ".toml")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def available_rubrics() -> list[str]:
    """Names of the shipped rubrics, sorted."""
    if not RUBRIC_DIR.is_dir():
        return []
    return sorted(p.stem for p in RUBRIC_DIR.iterdir() if p.suffix in SUFFIXES and not p.name.startswith("."))


def looks_like_path(text: str | os.PathLike) -> bool:
    """A path (a separator or a rubric suffix) rather than a rubric name."""
    if isinstance(text, os.PathLike):
        return True
    return "/" in text or os.sep in text or text.endswith(SUFFIXES)


def _shipped_path(name: str) -> Path | None:
    for suffix in SUFFIXES:
        path = RUBRIC_DIR / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def read_rubric_file(path: str | os.PathLike) -> Rubric:
    """Read and validate one rubric file; :class:`RubricError` names the file and the problem."""
    path = Path(path)
    origin = str(path)
    if path.suffix not in SUFFIXES:
        raise RubricError(origin, f"a rubric file ends in {', '.join(SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(origin, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(origin, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return _parsed(origin, path.suffix, text)


@functools.lru_cache(maxsize=64)
def _parsed(origin: str, suffix: str, text: str) -> Rubric:
    """The rubric in ``text`` (a file's whole content), parsed and validated once per content: a
    :class:`Rubric` is frozen, so every caller can share it.  The scoring page resolves its rubric
    at every visit, and parsing the shipped YAML took 37 ms of a 340 ms page build."""
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(origin, f"not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(origin, f"not valid YAML: {problem}{where}") from None
    return parse_rubric(data, origin)


def load_rubric(name_or_path: str | os.PathLike) -> Rubric:
    """A rubric by name (shipped in ``data/rubrics/``) or by file path, validated.

    Raises :class:`RubricError` for an unknown name, an unreadable or invalid file, or a shipped
    file whose ``name`` differs from its file name.
    """
    if looks_like_path(name_or_path):
        return read_rubric_file(name_or_path)
    name = str(name_or_path)
    path = _shipped_path(name)
    if path is None:
        known = ", ".join(available_rubrics()) or "none"
        raise RubricError(name, f"no rubric of that name (shipped rubrics: {known}; or give a file path)")
    rubric = read_rubric_file(path)
    if rubric.name != name:
        raise RubricError(str(path), f"the file is named {name} but its 'name' is {rubric.name}")
    return rubric
