"""Find form files by key and region, national ones inherited, and parse them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from casemgmt.errors import InvalidInput, NotFound

NATIONAL = "national"
_PATH_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _part(value: str, what: str) -> str:
    if not isinstance(value, str) or not _PATH_PART_RE.match(value):
        raise NotFound(f"{what}不存在：{value!r}")
    return value


def load_form(key: str, region: str, forms_root: Path) -> dict:
    """Return the form `key` for `region`: the region's own file, else the national one."""
    _part(key, "表单")
    for folder in dict.fromkeys([_part(region, "地区"), NATIONAL]):
        path = Path(forms_root) / folder / f"{key}.json"
        if path.is_file():
            return _parse(path.read_bytes(), f"{folder}/{key}.json")
    raise NotFound(f"表单不存在：{key}")


def _parse(raw: bytes, name: str) -> dict:
    try:
        definition = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInput(f"表单文件 {name} 不是有效的 UTF-8 JSON：{err}") from err
    if not isinstance(definition, dict):
        raise InvalidInput(f"表单文件 {name} 必须是一个 JSON 对象")
    return definition


def _form_paths(region: str, forms_root: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for folder in dict.fromkeys([NATIONAL, _part(region, "地区")]):
        directory = Path(forms_root) / folder
        if directory.is_dir():
            paths.update({p.stem: p for p in sorted(directory.glob("*.json")) if p.is_file()})
    return paths


def list_form_keys(region: str, forms_root: Path) -> set[str]:
    """Return every form key the region can use: its own plus the inherited national ones."""
    return set(_form_paths(region, forms_root))


def form_files(region: str, forms_root: Path) -> dict[str, bytes]:
    """Return the region's effective form files, path relative to `forms_root` -> bytes, for a bundle."""
    root = Path(forms_root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in _form_paths(region, root).values()}
