"""Importing users from a list: the accounts' importer on the shared engine (core/imports).

A row is a user; the username is the key: a user of the county with that username is updated
(role, area, carer record, name, email), a username taken outside the county is refused. A
registry role needs an area of its level in the importing administrator's county; a carer role
needs the carer record of the same role, found by its phone among the county's carers; a teacher
needs their school and organisation staff their organisation, found by name among the county's
organisations (those that employ no carer). A new
user has no password: each gets a one-time link to set one (`set_password_link`), made from
Django's password-reset tokens, which die when the password is set (the token hashes the
password) or after CARE365_SET_PASSWORD_LINK_HOURS. Links are never stored or logged: the
importing administrator reads them on the import's page (or `care365 import ... --links FILE`)
and hands them over.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import (
    CARER_ROLES,
    ORGANISATION_ROLES,
    REGISTRY_ROLES,
    ROLE_AREA_LEVEL,
    Role,
    User,
)
from care365.accounts.services.users import password_set_path
from care365.areas.models import Area
from care365.carers.models import Carer, Organisation
from care365.core.imports.columns import Column, ErrorCode, add_messages, header_key
from care365.core.imports.engine import Applied, Importer, Row
from care365.core.ledger import chain_append_many
from care365.core.models import AuditEvent
from care365.core.phones import normalise_phone

add_messages(
    {
        "username": _("A username has letters, digits and @ . + - _ only, up to 150."),
        "taken_user": _("This username is taken by a user outside your county."),
        "area_level": _("This role needs a county, township or village of its level."),
        "carer_needed": _("This role needs the phone of a carer record of the same role."),
        "carer_unknown": _("No carer of this role with this phone in your county."),
        "carer_taken": _("This carer record belongs to another user."),
        "organisation_needed": _(
            "This role needs an organisation of your county: a school for a teacher."
        ),
        "email": _("Enter a valid email address."),
    }
)

COLUMNS: tuple[Column, ...] = (
    Column(
        "username",
        "用户名",
        _("username"),
        kind="raw",
        required=True,
        variants=("登录名", "账号"),
        example="dongnong_zhuren",
    ),
    Column("name", "姓名", _("name"), max_length=150, example="王丽"),
    Column(
        "role",
        "角色",
        _("role"),
        kind="choice",
        required=True,
        variants=("用户角色", "岗位"),
        choices=tuple(Role.choices),
        synonyms={
            "儿童主任": Role.DIRECTOR,
            "儿童督导员": Role.SUPERVISOR,
            "管理员": Role.COUNTY_ADMIN,
            "民警": Role.POLICE,
            "医生": Role.DOCTOR,
            "志愿者": Role.VOLUNTEER,
            "教师": Role.TEACHER,
            "老师": Role.TEACHER,
            "机构人员": Role.ORG_STAFF,
        },
        example="村儿童主任",
    ),
    Column(
        "area",
        "所辖区域",
        _("area of responsibility"),
        kind="raw",
        variants=("区域", "所在村", "所在乡镇", "负责区域"),
        example="东弄村",
    ),
    Column(
        "carer_phone",
        "结对人员电话",
        _("carer record's phone"),
        kind="phone",
        variants=("人员电话", "关联人员电话"),
    ),
    Column(
        "organisation",
        "所属机构",
        _("organisation"),
        kind="raw",
        variants=("机构", "学校", "所在学校", "工作单位"),
    ),
    Column("email", "电子邮箱", _("email address"), variants=("邮箱", "email"), max_length=254),
)


def set_password_link(user: User) -> str:
    """The path of the user's one-time link to set a password (valid until the password is
    set, or for CARE365_SET_PASSWORD_LINK_HOURS): the same page as a county administrator's
    invitation link. Never log or store it."""
    return password_set_path(user)


def _split_name(name: str) -> tuple[str, str]:
    """(first, last) as User keeps them: a Chinese name whole as the family-first last name."""
    name = name.strip()
    if name.isascii() and " " in name:
        given, family = name.rsplit(" ", 1)
        return given, family
    return "", name


class UserImporter(Importer):
    kind: ClassVar[str] = "users"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    key_column: ClassVar[str | None] = "username"

    def _index(self) -> dict[str, Any]:
        cached: dict[str, Any] | None = getattr(self, "_cache", None)
        if cached is None:
            areas = list(
                Area.objects.filter(pk__in=self.scope.area_ids).values_list(
                    "pk", "code", "name", "level"
                )
            )
            by_name: dict[str, list[tuple[int, str]]] = {}
            for pk, _code, name, level in areas:
                by_name.setdefault(header_key(name), []).append((pk, level))
            carers: dict[tuple[str, str], int] = {}
            for pk, role, phone in Carer.objects.filter(
                organisation__area_id__in=self.scope.area_ids
            ).values_list("pk", "role", "phone"):
                if phone:
                    carers[(role, normalise_phone(phone))] = pk
            organisations: dict[str, list[tuple[int, str]]] = {}
            for pk, name, kind in (
                Organisation.objects.filter(area_id__in=self.scope.area_ids)
                .exclude(kind__in=list(Organisation.ROLE))
                .values_list("pk", "name", "kind")
            ):
                organisations.setdefault(header_key(name), []).append((pk, kind))
            cached = {
                "by_code": {code: (pk, level) for pk, code, _n, level in areas},
                "by_name": by_name,
                "carers": carers,
                "organisations": organisations,
            }
            self._cache = cached
        return cached

    def check(self, rows: list[Row]) -> None:
        from django.contrib.auth.validators import UnicodeUsernameValidator
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        index = self._index()
        username_ok = UnicodeUsernameValidator()
        for row in rows:
            v = row.values
            username = v.get("username")
            if username:
                try:
                    username_ok(username)
                    if len(username) > 150:
                        raise ValidationError("long")
                except ValidationError:
                    row.refuse("username", ErrorCode.BAD_VALUE, "username")
            if v.get("email"):
                try:
                    validate_email(v["email"])
                except ValidationError:
                    row.refuse("email", ErrorCode.BAD_VALUE, "email")
            role = v.get("role")
            if role in REGISTRY_ROLES:
                self._area(row, index, ROLE_AREA_LEVEL[role])
            elif role in CARER_ROLES:
                phone = v.get("carer_phone")
                if not phone:
                    if not any(e.column == "carer_phone" for e in row.errors):
                        row.refuse("carer_phone", ErrorCode.MISSING, "carer_needed")
                else:
                    carer = index["carers"].get((role, phone))
                    if carer is None:
                        row.refuse("carer_phone", ErrorCode.BAD_VALUE, "carer_unknown")
                    else:
                        row.found["carer_id"] = carer
            elif role in ORGANISATION_ROLES:
                found = [
                    pk
                    for pk, kind in index["organisations"].get(
                        header_key(v.get("organisation") or ""), []
                    )
                    if role != Role.TEACHER or kind == Organisation.Kind.SCHOOL
                ]
                if len(found) != 1:
                    code = ErrorCode.BAD_VALUE if v.get("organisation") else ErrorCode.MISSING
                    row.refuse("organisation", code, "organisation_needed")
                else:
                    row.found["organisation_id"] = found[0]
        names = {row.values["username"]: row for row in rows if row.values.get("username")}
        existing = User.objects.filter(username__in=list(names)).select_related("area", "carer")
        areas = self.scope.area_ids
        in_county = set(
            User.objects.filter(username__in=list(names))
            .filter(
                Q(area_id__in=areas)
                | Q(carer__organisation__area_id__in=areas)
                | Q(organisation__area_id__in=areas)
            )
            .values_list("pk", flat=True)
        )
        for user in existing:
            row = names[user.username]
            if user.pk in in_county:
                row.found["user_id"] = user.pk
            else:
                row.refuse("username", ErrorCode.DUPLICATE, "taken_user")
        carers = [row.found["carer_id"] for row in rows if "carer_id" in row.found]
        holders = dict(User.objects.filter(carer_id__in=carers).values_list("carer_id", "username"))
        for row in rows:
            holder = holders.get(row.found.get("carer_id", 0))
            if holder is not None and holder != row.values.get("username"):
                row.refuse("carer_phone", ErrorCode.BAD_VALUE, "carer_taken")

    def _area(self, row: Row, index: dict[str, Any], level: str) -> None:
        text = (row.values.get("area") or "").strip()
        if not text:
            row.refuse("area", ErrorCode.MISSING, "area_level")
            return
        if text.isascii() and text.isdigit():
            found = [index["by_code"][text]] if text in index["by_code"] else []
        else:
            found = index["by_name"].get(header_key(text), [])
        found = [f for f in found if f[1] == level]
        if len(found) != 1:
            row.refuse("area", ErrorCode.UNKNOWN_VILLAGE, "area_level")
        else:
            row.found["area_id"] = found[0][0]

    def apply(self, rows: list[Row]) -> Applied:
        events: list[AuditEvent] = []
        created = updated = 0
        for row in rows:
            v = row.values
            first, last = _split_name(v.get("name") or "")
            values: dict[str, Any] = {
                "role": v["role"],
                "area_id": row.found.get("area_id"),
                "carer_id": row.found.get("carer_id"),
                "organisation_id": row.found.get("organisation_id"),
            }
            if v.get("name"):
                values["first_name"], values["last_name"] = first, last
            if v.get("email"):
                values["email"] = v["email"]
            user_id = row.found.get("user_id")
            if user_id is None:
                user = User(username=v["username"], **values)
                user.set_unusable_password()
                user.save()
                created += 1
                changed = ["username", *values]
            else:
                user = User.objects.select_for_update().get(pk=user_id)
                changed = []
                for name, value in values.items():
                    if getattr(user, name) != value:
                        setattr(user, name, value)
                        changed.append(name.removesuffix("_id"))
                if changed:
                    user.save()
                updated += 1
            if changed:
                events.append(
                    AuditEvent(
                        actor_id=getattr(self.actor, "pk", None),
                        action="user_import",
                        object_type=User._meta.label_lower,
                        object_id=user.pk,
                        changes=sorted(set(changed)),
                        note=f"import #{self.import_id}",
                    )
                )
        chain_append_many(events)
        return Applied(created=created, updated=updated)


def users_awaiting_password(import_id: int) -> list[User]:
    """Users created by the import who have not set a password yet (their links still work)."""
    ids = AuditEvent.objects.filter(
        action="user_import", note=f"import #{import_id}", object_type=User._meta.label_lower
    ).values_list("object_id", flat=True)
    users = User.objects.filter(pk__in=list(ids), is_active=True).order_by("username")
    return [user for user in users if not user.has_usable_password()]
