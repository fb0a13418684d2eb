"""What every admin page starts from: the region the signed-in user administers, a version of its rules, a file."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g

from casemgmt.access.policy import Action
from casemgmt.models import ProcessDefinition, Region
from casemgmt.rules import bundles, versions
from web.ui import login_required

#: rule files are data: opened directly, a browser must run nothing in them
FILE_CSP = "default-src 'none'; sandbox"


def region_admin(action: Action) -> Callable[[Callable], Callable]:
    """Resolve <region> to a region where the signed-in user may do the action: another region 404, else 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(region: str, **kwargs):
            """Call the view with the Region instead of its code."""
            return view(versions.admin_region(g.user, region, action), **kwargs)

        return login_required(wrapper)

    return decorate


def version_or_active(place: Region, number: int | None) -> ProcessDefinition:
    """Return version `number` of the region's rules, or the active one."""
    return versions.get_version(place, number) if number else bundles.get_active(place.id)


def file_of(definition: ProcessDefinition, name: str) -> str:
    """Return one file of a version, or 404."""
    if name not in definition.files:
        abort(404, description=name)
    return definition.files[name]
