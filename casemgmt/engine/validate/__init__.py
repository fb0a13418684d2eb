"""Deploy-time validation of a diagram bundle, at XML level, before SpiffWorkflow parses it.

The rules are bpmn/CONVENTIONS.md. Every problem names its file and element, in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from itertools import chain, islice

from casemgmt.engine.validate.common import (
    BPMN,
    CAMUNDA,
    DMN_NAMESPACES,
    EXPRESSION_OVERHEAD,
    MAX_EXPRESSION_CHARS,
    SPIFF,
    Problem,
    _Doc,
    _problem,
)
from casemgmt.engine.validate.dmn import HIT_POLICIES, MAX_DMN_CELL, MAX_DMN_QUESTION_MARKS, _dmn
from casemgmt.engine.validate.expressions import _expression_texts, _multi_instance, _timers
from casemgmt.engine.validate.limits import (
    MAX_EXPRESSION_LENGTH,
    MAX_FLOW_NODES,
    MAX_LOOP_CARDINALITY,
    MAX_TIMER_REPETITIONS,
    MIN_TIMER_CYCLE_SECONDS,
    limit_problems,
)
from casemgmt.engine.validate.loading import MAX_ELEMENTS, MAX_FILE_BYTES, _load_all
from casemgmt.engine.validate.references import _duplicate_ids, _main_process, _operation_clashes, _references
from casemgmt.engine.validate.schema import schema_problems
from casemgmt.engine.validate.structure import (
    _code_hooks,
    _due_timers,
    _event_gateways,
    _service_tasks,
    _user_tasks,
)
from casemgmt.errors import DiagramInvalid

__all__ = [
    "BPMN",
    "CAMUNDA",
    "DEFAULT_ROLES",
    "DMN_NAMESPACES",
    "EXPRESSION_OVERHEAD",
    "HIT_POLICIES",
    "MAX_BUNDLE_BYTES",
    "MAX_DMN_CELL",
    "MAX_DMN_QUESTION_MARKS",
    "MAX_ELEMENTS",
    "MAX_EXPRESSION_CHARS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_FLOW_NODES",
    "MAX_LOOP_CARDINALITY",
    "MAX_TIMER_REPETITIONS",
    "MIN_TIMER_CYCLE_SECONDS",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "SPIFF",
    "Problem",
    "check_bundle",
    "validate_bundle",
]

DEFAULT_ROLES = frozenset({"officer", "supervisor", "coordinator", "admin", "auditor"})
MAX_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_PROBLEMS = 200


def _document_problems(
    doc: _Doc, form_keys: AbstractSet[str], operations: AbstractSet[str], roles: AbstractSet[str]
) -> Iterator[Problem]:
    """Run every single-file check on doc."""
    yield from _code_hooks(doc)
    if doc.is_dmn:
        yield from _dmn(doc)
        return
    yield from limit_problems(doc)
    yield from _user_tasks(doc, form_keys, roles)
    yield from _service_tasks(doc, operations)
    yield from _expression_texts(doc)
    yield from _timers(doc)
    yield from _due_timers(doc)
    yield from _multi_instance(doc)
    yield from _event_gateways(doc)


def validate_bundle(
    files: Mapping[str, bytes],
    *,
    form_keys: AbstractSet[str],
    operations: AbstractSet[str],
    roles: AbstractSet[str] = DEFAULT_ROLES,
    main_process: str = "bad_review",
) -> list[Problem]:
    """Check a bundle of .bpmn and .dmn files against the conventions; return every problem found."""
    if sum(len(data) for data in files.values()) > MAX_BUNDLE_BYTES:
        return [_problem("*", None, "bundle_too_large", "流程包总大小超过 10 MiB")]
    docs, problems = _load_all(files)
    checks = chain(
        chain.from_iterable(_document_problems(doc, form_keys, operations, roles) for doc in docs),
        _main_process(docs, main_process),
        _duplicate_ids(docs),
        _references(docs),
        _operation_clashes(docs, operations),
    )
    problems.extend(islice(checks, MAX_PROBLEMS + 1))
    refused = {problem.file for problem in problems}
    unrefused = [doc for doc in docs if not doc.is_dmn and doc.name not in refused]
    schema_checks = chain.from_iterable(schema_problems(doc) for doc in unrefused)
    problems.extend(islice(schema_checks, MAX_PROBLEMS + 1 - len(problems)))
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [_problem("*", None, "too_many_problems", f"问题超过 {MAX_PROBLEMS} 个，其余未列出")]
    return problems


def check_bundle(
    files: Mapping[str, bytes],
    *,
    form_keys: AbstractSet[str],
    operations: AbstractSet[str],
    roles: AbstractSet[str] = DEFAULT_ROLES,
    main_process: str = "bad_review",
) -> None:
    """Raise DiagramInvalid listing every problem of the bundle, if it has any."""
    problems = validate_bundle(
        files, form_keys=form_keys, operations=operations, roles=roles, main_process=main_process
    )
    if problems:
        summary = f"流程包校验未通过，共 {len(problems)} 个问题。{problems[0].message}"
        raise DiagramInvalid(summary, details=[problem.as_dict() for problem in problems])
