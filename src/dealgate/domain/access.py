"""Who may see and change which deals: reps their own, managers their team's, admins all."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dealgate.domain.errors import invalid


class UserRole(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


def parse_user_role(text: str) -> UserRole:
    try:
        return UserRole(text)
    except ValueError:
        raise invalid(
            "invalid_role", f"Unknown role '{text}'. Use rep, manager or admin.", "role"
        ) from None


@dataclass(frozen=True)
class User:
    name: str
    role: UserRole
    team: str | None = None

    @property
    def may_override(self) -> bool:
        """Only managers and admins may pass a gate by override."""
        return self.role in (UserRole.MANAGER, UserRole.ADMIN)

    @property
    def may_import(self) -> bool:
        """An import brings in the deals of every owner its export names, and only an admin
        sees them all: a manager would import deals they could not open."""
        return self.role is UserRole.ADMIN

    @property
    def may_export_everything(self) -> bool:
        """A whole export holds every owner's deals, which only an admin sees."""
        return self.role is UserRole.ADMIN

    @property
    def may_manage_users(self) -> bool:
        """Adding users decides who sees which deals: an admin's call."""
        return self.role is UserRole.ADMIN

    def require_user_management_right(self) -> None:
        _allowed(
            self.may_manage_users,
            "Only admins may add users: a user's role and team decide whose deals they "
            "see. Ask an admin, or run `dealgate user add` on the server.",
        )

    @property
    def may_change_process(self) -> bool:
        """The process judges every deal of every owner, and may move deals between stages."""
        return self.role is UserRole.ADMIN

    def require_process_right(self) -> None:
        _allowed(
            self.may_change_process,
            "Only admins may load a process: it judges every deal. Ask an admin, or run "
            "`dealgate init --process FILE` on the server.",
        )

    @property
    def may_transfer(self) -> bool:
        """Giving one owner's deals to another: an admin any owner's, a manager their team's
        (a rep who left, a territory that moves); a rep hands a deal over one at a time."""
        return self.role is not UserRole.REP

    def require_transfer_right(self) -> None:
        _allowed(
            self.may_transfer,
            "Only managers and admins may give one owner's deals to another: ask your manager.",
        )

    def require_import_right(self) -> None:
        _allowed(
            self.may_import,
            "Only admins may import: an import brings in the deals of every owner the "
            "export names. Ask an admin, or run `dealgate import` on the server.",
        )

    def require_export_right(self) -> None:
        _allowed(
            self.may_export_everything,
            "Only admins may export the whole pipeline: it holds every owner's deals. Ask an "
            "admin, or run `dealgate export` on the server.",
        )

    def require_override_right(self) -> None:
        if not self.may_override:
            raise invalid(
                "forbidden",
                "Only managers and admins may override the gate; record the buyer's "
                "commitment instead.",
                "override_reason",
                status=403,
            )


def _allowed(allowed: bool, refusal: str) -> None:
    """A user's right, or `forbidden` saying why not and whom to ask."""
    if not allowed:
        raise invalid("forbidden", refusal, "user", status=403)


@dataclass(frozen=True)
class Visibility:
    """The owners whose deals a user sees; `None` means every owner."""

    owners: frozenset[str] | None

    def sees(self, owner: str) -> bool:
        return self.owners is None or owner in self.owners


def require_may_own(user: User, seen: Visibility, owner: str, field: str = "owner") -> None:
    """Whom a user may give a deal to: a rep only themselves, a manager their team, an admin
    anyone. `field`: the input that named `owner`."""
    if user.role is UserRole.REP and owner != user.name:
        raise invalid(
            "forbidden",
            "A rep may only own their own deals; ask a manager to assign it.",
            field,
            status=403,
        )
    if not seen.sees(owner):
        raise invalid(
            "forbidden",
            f"'{owner}' is not in your team; pick an owner you manage.",
            field,
            status=403,
        )


def require_may_transfer(user: User, seen: Visibility, from_owner: str, to_user: str) -> None:
    """Whether `user` may give every deal of `from_owner` to `to_user`: a manager only from
    and to their team (themselves included), an admin between anyone, a rep never."""
    user.require_transfer_right()
    if not seen.sees(from_owner):
        raise invalid(
            "forbidden",
            f"'{from_owner}' is not in your team: you may only give your team's deals.",
            "from",
            status=403,
        )
    require_may_own(user, seen, to_user, "to")


def visibility(user: User, team_members: frozenset[str]) -> Visibility:
    if user.role is UserRole.ADMIN:
        return Visibility(None)
    if user.role is UserRole.MANAGER:
        return Visibility(team_members | {user.name})
    return Visibility(frozenset({user.name}))


def require_an_admin_left(target: User, role_after: UserRole | None, admins: int) -> None:
    """A change may not leave dealgate without an admin (nobody could add users, import or
    see every owner's deals). `role_after` None: the user is removed; `admins`: how many
    there are now."""
    if target.role is UserRole.ADMIN and role_after is not UserRole.ADMIN and admins <= 1:
        raise invalid(
            "last_admin",
            f"{target.name} is the only admin: make another user an admin first.",
            "role",
            status=409,
        )
