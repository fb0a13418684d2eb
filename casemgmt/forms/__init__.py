"""Form definitions: load them with regional override, check them at deploy, validate what users submit.

A form is a JSON file `forms/<region>/<key>.json` (format in forms/README.md). Its field names become
task-data variables that diagrams' expressions read, so they are checked like identifiers.
"""

from __future__ import annotations

from casemgmt.forms.checks import COMMON_KEYS, FIELD_TYPES, FORM_KEYS, RESERVED_NAMES, TYPE_KEYS, check_definition
from casemgmt.forms.definitions import NATIONAL, form_files, list_form_keys, load_form
from casemgmt.forms.field_types import DEFAULT_MAX_LENGTH, FIELD_CLASSES, FILE_REF_KEYS, REQUIRED
from casemgmt.forms.schema import _schema_for as _schema_for  # tests check its cache
from casemgmt.forms.schema import validate_form

__all__ = [
    "COMMON_KEYS",
    "DEFAULT_MAX_LENGTH",
    "FIELD_CLASSES",
    "FIELD_TYPES",
    "FILE_REF_KEYS",
    "FORM_KEYS",
    "NATIONAL",
    "REQUIRED",
    "RESERVED_NAMES",
    "TYPE_KEYS",
    "check_definition",
    "form_files",
    "list_form_keys",
    "load_form",
    "validate_form",
]
