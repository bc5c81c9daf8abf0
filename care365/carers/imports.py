"""Importing carers (police officers, doctors, volunteers) from a list: the carers' importer on
the shared engine (care365/core/imports).

A row is a carer; the phone number is required and is the key: a carer of the county with the
same phone is updated, never duplicated. The organisation is found by name among the county's;
a new one is created when the row says its kind (and, if it is not the county's own, its
township). Service areas are villages or townships of the county, by name or code. Every carer
created or changed gets an audit row naming the import.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation, Skill
from care365.core.imports.columns import Column, DateValue, ErrorCode, add_messages, header_key
from care365.core.imports.engine import Applied, Importer, Row
from care365.core.ledger import chain_append_many
from care365.core.models import AuditEvent
from care365.core.phones import normalise_phone

add_messages(
    {
        "unknown_organisation": _(
            "No organisation of this name in the county: write its kind (and township) to add it."
        ),
        "organisation_role": _("This organisation's kind does not employ carers of this role."),
        "capacity": _("Enter a capacity from 1 to 500 children."),
        "coordinates": _("Enter a latitude from -90 to 90 and a longitude from -180 to 180."),
        "unknown_area": _("No such village or township in your county."),
    }
)

# The languages a carer speaks: the codes of the children's (registry.models.Language), which
# pairing matches; the carers app sits beside the registry and does not import it.
LANGUAGES = (
    ("mandarin", _("Mandarin")),
    ("she", _("She language")),
    ("wu", _("Wu dialect")),
    ("other", _("other")),
)

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", _("name"), required=True, max_length=50, example="李明"),
    Column(
        "sex",
        "性别",
        _("sex"),
        kind="choice",
        required=True,
        choices=(("M", _("male")), ("F", _("female"))),
        synonyms={"男": "M", "女": "F"},
        example="男",
    ),
    Column(
        "role",
        "人员类别",
        _("role"),
        kind="choice",
        required=True,
        variants=("类别", "角色", "身份"),
        choices=tuple(CarerRole.choices),
        synonyms={
            "民警": CarerRole.POLICE,
            "警察": CarerRole.POLICE,
            "医生": CarerRole.DOCTOR,
            "村医": CarerRole.DOCTOR,
            "志愿者": CarerRole.VOLUNTEER,
        },
        example="民警",
    ),
    Column(
        "phone",
        "联系电话",
        _("phone"),
        kind="phone",
        required=True,
        variants=("电话", "手机", "手机号码"),
        example="13812345678",
    ),
    Column(
        "organisation",
        "所属单位",
        _("organisation"),
        kind="raw",
        required=True,
        variants=("单位", "工作单位", "所在单位", "服务队"),
        example="鹤溪派出所",
    ),
    Column(
        "organisation_kind",
        "单位类型",
        _("kind of organisation"),
        kind="choice",
        variants=("单位类别",),
        choices=tuple(Organisation.Kind.choices),
        synonyms={
            "派出所": Organisation.Kind.POLICE_STATION,
            "卫生院": Organisation.Kind.HEALTH_CENTRE,
            "卫生室": Organisation.Kind.VILLAGE_CLINIC,
            "志愿者服务队": Organisation.Kind.VOLUNTEER_GROUP,
        },
        example="派出所",
    ),
    Column(
        "organisation_area",
        "单位所在乡镇（街道）",
        _("organisation's township"),
        kind="raw",
        variants=("单位所在地", "所在乡镇"),
        example="鹤溪街道",
    ),
    Column(
        "service_areas",
        "服务区域",
        _("service area"),
        kind="raw",
        variants=("服务村", "服务范围", "结对区域"),
        example="东弄村、鹤溪街道",
    ),
    Column(
        "capacity",
        "可结对儿童数",
        _("capacity (children)"),
        kind="int",
        required=True,
        variants=("结对上限", "服务人数", "容量"),
        example="30",
    ),
    Column("latitude", "纬度", _("latitude"), kind="float"),
    Column("longitude", "经度", _("longitude"), kind="float"),
    Column(
        "skills",
        "特长",
        _("skills"),
        kind="multi",
        variants=("技能", "专长"),
        choices=tuple(Skill.choices),
        example="急救、安全",
    ),
    Column(
        "languages",
        "语言",
        _("languages"),
        kind="multi",
        variants=("会说的语言", "方言"),
        choices=LANGUAGES,
        synonyms={"畲语": "she", "畲话": "she"},
        example="普通话",
    ),
    Column(
        "background_check",
        "背景审查",
        _("background check"),
        kind="choice",
        variants=("审查结果", "背景审查结果"),
        choices=tuple((v, label) for v, label in BackgroundCheck.choices if v),
        synonyms={"未审查": "", "审查中": "pending", "已通过": "passed", "未通过": "failed"},
        example="通过",
    ),
    Column(
        "background_checked_on",
        "审查日期",
        _("background checked on"),
        kind="date",
        variants=("背景审查日期",),
    ),
    Column("trained_on", "培训日期", _("trained on"), kind="date", variants=("培训时间",)),
    Column("active", "是否在岗", _("active"), kind="bool", variants=("在岗",), example="是"),
)

FIELDS = (
    "name",
    "sex",
    "role",
    "phone",
    "capacity",
    "latitude",
    "longitude",
    "skills",
    "languages",
    "background_check",
    "background_checked_on",
    "trained_on",
    "active",
)


class CarerImporter(Importer):
    kind: ClassVar[str] = "carers"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    key_column: ClassVar[str | None] = "phone"

    def _index(self) -> dict[str, Any]:
        cached: dict[str, Any] | None = getattr(self, "_cache", None)
        if cached is None:
            areas = list(
                Area.objects.filter(pk__in=self.scope.area_ids).values_list(
                    "pk", "code", "name", "level", "latitude", "longitude"
                )
            )
            by_name: dict[str, list[int]] = {}
            for pk, _code, name, _level, _lat, _lon in areas:
                by_name.setdefault(header_key(name), []).append(pk)
            organisations: dict[str, list[Organisation]] = {}
            for org in Organisation.objects.filter(area_id__in=self.scope.area_ids):
                organisations.setdefault(header_key(org.name), []).append(org)
            carers: dict[str, int] = {}
            for pk, phone in Carer.objects.filter(
                organisation__area_id__in=self.scope.area_ids
            ).values_list("pk", "phone"):
                if phone:
                    carers[normalise_phone(phone)] = pk
            cached = {
                "by_code": {code: pk for pk, code, *_rest in areas},
                "by_name": by_name,
                "coords": {pk: (lat, lon) for pk, _c, _n, _l, lat, lon in areas},
                "organisations": organisations,
                "carers": carers,
            }
            self._cache = cached
        return cached

    def _area(self, text: str) -> int | None:
        index = self._index()
        text = text.strip()
        if text.isascii() and text.isdigit():
            pk: int | None = index["by_code"].get(text)
            return pk
        found = index["by_name"].get(header_key(text), [])
        return found[0] if len(found) == 1 else None

    def check(self, rows: list[Row]) -> None:
        index = self._index()
        for row in rows:
            v = row.values
            capacity = v.get("capacity")
            if capacity is not None and not 1 <= capacity <= 500:
                row.refuse("capacity", ErrorCode.BAD_VALUE, "capacity")
            lat, lon = v.get("latitude"), v.get("longitude")
            if (lat is not None and not -90 <= lat <= 90) or (
                lon is not None and not -180 <= lon <= 180
            ):
                row.refuse("latitude", ErrorCode.BAD_VALUE, "coordinates")
            areas = []
            for part in _split(v.get("service_areas") or ""):
                pk = self._area(part)
                if pk is None:
                    row.refuse("service_areas", ErrorCode.UNKNOWN_VILLAGE, "unknown_area")
                    break
                areas.append(pk)
            row.found["service_areas"] = areas
            self._organisation(row, index)
            if v.get("phone"):
                carer_id = index["carers"].get(v["phone"])
                if carer_id is not None:
                    row.found["carer_id"] = carer_id

    def _organisation(self, row: Row, index: dict[str, Any]) -> None:
        v = row.values
        name = v.get("organisation")
        if not name:
            return
        role = v.get("role")
        found = index["organisations"].get(header_key(name), [])
        if found:
            org = found[0]
            if role and Organisation.ROLE.get(Organisation.Kind(org.kind)) != role:
                row.refuse("organisation", ErrorCode.BAD_VALUE, "organisation_role")
            row.found["organisation_id"] = org.pk
            row.found["organisation_area"] = org.area_id
            return
        pending: dict[str, tuple[str, str, str, int]] = index.setdefault("pending", {})
        kind = v.get("organisation_kind")
        if not kind and header_key(name) in pending:  # added by an earlier row of the file
            row.found["new_organisation"] = pending[header_key(name)]
            row.found["organisation_area"] = pending[header_key(name)][3]
            return
        if not kind:
            row.refuse("organisation", ErrorCode.BAD_VALUE, "unknown_organisation")
            return
        if role and Organisation.ROLE.get(Organisation.Kind(kind)) != role:
            row.refuse("organisation_kind", ErrorCode.BAD_VALUE, "organisation_role")
            return
        area_text = v.get("organisation_area")
        area = self._area(area_text) if area_text else self.scope.county_id
        if area is None:
            row.refuse("organisation_area", ErrorCode.UNKNOWN_VILLAGE, "unknown_area")
            return
        row.found["new_organisation"] = (header_key(name), name.strip()[:100], kind, area)
        row.found["organisation_area"] = area
        pending.setdefault(header_key(name), row.found["new_organisation"])

    def apply(self, rows: list[Row]) -> Applied:
        index = self._index()
        created_orgs: dict[str, int] = {}
        events: list[AuditEvent] = []
        created = updated = 0
        with transaction.atomic():
            for row in rows:
                org_id = row.found.get("organisation_id")
                if org_id is None:
                    key, name, kind, area = row.found["new_organisation"]
                    org_id = created_orgs.get(key)
                    if org_id is None:
                        org = Organisation.objects.create(name=name, kind=kind, area_id=area)
                        index["organisations"].setdefault(key, []).append(org)
                        org_id = created_orgs[key] = org.pk
                        events.append(self._event(org, ["name", "kind", "area"]))
                values = self._values(row, index)
                carer_id = row.found.get("carer_id") or index["carers"].get(values["phone"])
                if carer_id is None:
                    carer = Carer(organisation_id=org_id, **values)
                    carer.save()
                    index["carers"][values["phone"]] = carer.pk
                    changed = ["organisation", *sorted(values)]
                    created += 1
                else:
                    carer = Carer.objects.select_for_update().get(pk=carer_id)
                    changed = []
                    if carer.organisation_id != org_id:
                        carer.organisation_id = org_id
                        changed.append("organisation")
                    for name, value in values.items():
                        if row.values.get(name) is None and name not in ("phone",):
                            continue
                        if getattr(carer, name) != value:
                            setattr(carer, name, value)
                            changed.append(name)
                    if changed:
                        carer.save()
                    updated += 1
                if row.found["service_areas"]:
                    have = set(carer.service_areas.values_list("pk", flat=True))
                    if have != set(row.found["service_areas"]):
                        carer.service_areas.set(row.found["service_areas"])
                        changed.append("service_areas")
                if changed:
                    events.append(self._event(carer, changed))
            chain_append_many(events)
        return Applied(created=created, updated=updated)

    def _values(self, row: Row, index: dict[str, Any]) -> dict[str, Any]:
        v = row.values
        lat, lon = index["coords"].get(row.found.get("organisation_area"), (0.0, 0.0))
        values: dict[str, Any] = {}
        for name in FIELDS:
            value = v.get(name)
            if isinstance(value, DateValue):
                value = value.day
            values[name] = value
        defaults = {
            "latitude": lat,
            "longitude": lon,
            "skills": [],
            "languages": [],
            "background_check": "",
            "active": True,
        }
        for name, default in defaults.items():
            if values.get(name) is None:
                values[name] = default
        return values

    def _event(self, obj: Carer | Organisation, changed: list[str]) -> AuditEvent:
        return AuditEvent(
            actor_id=getattr(self.actor, "pk", None),
            action=f"{obj._meta.model_name}_import",
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            changes=sorted(set(changed)),
            note=f"import #{self.import_id}",
        )


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"[,，、;；/|\s]+", text.strip()) if p]
