"""Who may file a unit's requests (appeal, extension): a role held in the handling unit or above it."""

from __future__ import annotations

from casemgmt.access import in_subtree
from casemgmt.errors import PermissionDenied
from casemgmt.models import Organization, User


def ensure_unit_role(user: User, org: Organization, *roles: str) -> None:
    """Raise unless the user holds one of the roles in `org` or an organization above it."""
    if not (user.is_active and user.has_role(*roles) and in_subtree(user, org.path)):
        raise PermissionDenied(f"只有{org.name}及其上级机构的以下角色可以办理：" + "、".join(roles))
