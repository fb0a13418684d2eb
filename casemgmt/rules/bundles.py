"""Bundles of a region's rules: national files overridden file by file, hashed, deployed as versions."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from casemgmt import audit, forms, refcache
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.engine.facade import MAIN_PROCESS, Bundle, engine, parse_bundle
from casemgmt.engine.validate import check_bundle
from casemgmt.errors import DiagramInvalid, NotFound
from casemgmt.models import ProcessDefinition, Region
from casemgmt.rules.settings_form import SETTINGS_FILE, dump_settings, label_of
from casemgmt.topics import topic_names

FORM_PREFIX = "forms/"
#: the bundle's rule settings (deadline counts, windows, caps): national defaults, overridden by region.json


def collect_files(bpmn_root: Path, forms_root: Path, region: str) -> dict[str, str]:
    """Return the region's bundle: national diagrams, forms and settings, overridden by the region's own."""
    files: dict[str, str] = {}
    settings = bundled_settings(bpmn_root, region)
    if settings:
        files[SETTINGS_FILE] = dump_settings(settings)
    for folder in ("national", region):
        base = bpmn_root / folder
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if path.suffix in (".bpmn", ".dmn"):
                    files[path.name] = path.read_text(encoding="utf-8")
    for name, raw in forms.form_files(region, forms_root).items():
        files[FORM_PREFIX + Path(name).name] = raw.decode("utf-8")
    return files


def bundled_settings(bpmn_root: Path, region: str) -> dict:
    """Return the rule settings of a region's bundle: every key of bpmn/national/settings.json, taking the
    region's value from the `settings` of its region.json where it gives one."""
    national = bpmn_root / "national" / SETTINGS_FILE
    if not national.is_file():
        return {}
    defaults = json.loads(national.read_text(encoding="utf-8"))
    spec = bpmn_root / region / "region.json"
    own = json.loads(spec.read_text(encoding="utf-8")).get("settings", {}) if spec.is_file() else {}
    return {key: own.get(key, value) for key, value in defaults.items()}


def settings_of(files: dict[str, str]) -> dict:
    """Return a bundle's rule settings (empty for versions deployed before settings were bundled)."""
    text = files.get(SETTINGS_FILE)
    return json.loads(text) if text else {}


def settings_problems(files: dict[str, str]) -> list[dict]:
    """Check settings.json: an object of numbers 0-366, booleans, strings or null, each named in the message."""
    if SETTINGS_FILE not in files:
        return []
    try:
        settings = json.loads(files[SETTINGS_FILE])
    except (ValueError, RecursionError) as err:
        return [{"file": SETTINGS_FILE, "element": None, "message": f"地区设置不是有效的 JSON（{err}）"}]
    if not isinstance(settings, dict):
        return [{"file": SETTINGS_FILE, "element": None, "message": "地区设置必须是一个 JSON 对象"}]
    problems = []
    for key, value in settings.items():
        ok = value is None or isinstance(value, bool | str) or (isinstance(value, int) and 0 <= value <= 366)
        if isinstance(value, str) and key.endswith("_workdays"):
            ok = False
        if not ok:
            text = f"地区设置「{label_of(key)}」（{key}）必须是 0 到 366 之间的整数，而不是 {value!r}"
            problems.append({"file": SETTINGS_FILE, "element": key, "message": text})
    return problems


def bundle_sha256(files: dict[str, str]) -> str:
    """Hash a bundle: every file name and content, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


def form_definitions(files: dict[str, str]) -> dict[str, dict]:
    """Return the form definitions in a bundle by form key."""
    result = {}
    for name, text in files.items():
        if name.startswith(FORM_PREFIX) and name.endswith(".json"):
            result[Path(name).stem] = json.loads(text)
    return result


def validate_files(files: dict[str, str]) -> None:
    """Refuse a bundle with any problem, naming file and element; parse it as a last check."""
    problems: list[dict] = settings_problems(files)
    for name in files:
        if name == SETTINGS_FILE:
            continue
        try:
            form_definitions({name: files[name]})
        except (ValueError, RecursionError) as err:  # a hostile upload can nest JSON past the recursion limit
            problem = {"file": name, "element": None, "message": f"文件 {name}：不是有效的 JSON（{err}）"}
            raise DiagramInvalid("表单文件不是有效的 JSON", details=[problem]) from err
    definitions = form_definitions(files)
    known_settings = settings_of(files) if SETTINGS_FILE in files else None
    for key, definition in definitions.items():
        for message in forms.check_definition(definition, known_settings):
            problems.append({"file": f"{FORM_PREFIX}{key}.json", "element": None, "message": message})
    diagrams = {k: v.encode("utf-8") for k, v in files.items() if not k.startswith(FORM_PREFIX) and k != SETTINGS_FILE}
    try:
        check_bundle(diagrams, form_keys=set(definitions), operations=topic_names())
    except DiagramInvalid as err:
        problems.extend(err.details or [])
    if problems:
        raise DiagramInvalid(f"规则包校验未通过：{len(problems)} 个问题", details=problems)
    try:
        parse_bundle("validation", files)
    except Exception as err:  # noqa: BLE001 - the parser raises many kinds; all mean "refused"
        # the parser's own (English) text is not shown; the element it names is
        message = "流程引擎无法读取此元素，请检查其类型、引用和设置"
        problem = {"file": getattr(err, "file_name", None), "element": getattr(err, "id", None), "message": message}
        raise DiagramInvalid("流程图无法解析", details=[problem]) from err


def deploy(region: Region, files: dict[str, str], actor: Actor, now: datetime, comment: str = "") -> ProcessDefinition:
    """Validate and deploy a bundle as the region's new active version (no-op if unchanged)."""
    validate_files(files)
    sha = bundle_sha256(files)
    active = get_active(region.id, required=False)
    if active is not None and active.sha256 == sha:
        return active
    last = db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(
            ProcessDefinition.region_id == region.id, ProcessDefinition.process_id == MAIN_PROCESS
        )
    )
    if active is not None:
        active.is_active = False
    definition = ProcessDefinition(
        region_id=region.id,
        process_id=MAIN_PROCESS,
        version=(last or 0) + 1,
        sha256=sha,
        files=files,
        is_active=True,
        deployed_at=now,
        deployed_by=actor.username,
        comment=comment,
    )
    db.session.add(definition)
    db.session.flush()
    audit.record(
        "definition_deployed",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=definition.id,
        payload={"version": definition.version, "sha256": sha, "comment": comment, "files": sorted(files)},
    )
    return definition


def get_active(region_id: int, *, required: bool = True) -> ProcessDefinition | None:
    """Return the region's active bad-review version."""
    definition = refcache.active_definition(region_id, MAIN_PROCESS)
    if definition is None and required:
        raise NotFound("该地区尚未部署差评处理流程")
    return definition


def bundle_of(definition: ProcessDefinition) -> Bundle:
    """Return the parsed (cached) bundle of a deployed version."""
    return engine.bundle(definition.sha256, lambda: definition.files)


#: form definitions of deployed versions by sha256; versions are immutable, so entries never go stale
_FORMS: dict[str, dict[str, dict]] = {}


def forms_of(definition: ProcessDefinition, *, as_written: bool = False) -> dict[str, dict]:
    """Return a deployed version's form definitions by key, read from its files once per process: as its
    settings make them (a field marked `only_without_setting` is left out where that setting has a value), or
    `as_written` in the files (what an editor shows and saves)."""
    key = definition.sha256 if as_written else f"{definition.sha256}:settings"
    forms_by_key = _FORMS.get(key)
    if forms_by_key is None:
        if len(_FORMS) >= 64:
            _FORMS.pop(next(iter(_FORMS)))
        forms_by_key = form_definitions(definition.files)
        if not as_written:
            forms_by_key = for_settings(forms_by_key, settings_of(definition.files))
        _FORMS[key] = forms_by_key
    return forms_by_key


def for_settings(definitions: dict[str, dict], settings: dict) -> dict[str, dict]:
    """Return the forms as a version's settings make them: a field marked `"only_without_setting": name` is
    asked only where that setting is null (e.g. the unit sets the ledger deadline where the region fixes none)."""

    def kept(spec: object) -> bool:
        name = spec.get("only_without_setting") if isinstance(spec, dict) else None
        return name is None or settings.get(name) is None

    return {
        key: {**d, "fields": [f for f in d["fields"] if kept(f)]} if isinstance(d.get("fields"), list) else d
        for key, d in definitions.items()
    }
