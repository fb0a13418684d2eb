"""Who acts: every write carries an actor into its audit rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    user_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """Return the actor for work the product does by itself (timers, seeding)."""
        return cls(username=name, role="system")

    @classmethod
    def of(cls, user, role: str | None = None) -> Actor:
        """Return the actor for a signed-in user acting in one of their roles."""
        role = role or (user.roles[0] if user.roles else "")
        return cls(username=user.username, role=str(role), user_id=user.id)  # a Role member is stored as its text
