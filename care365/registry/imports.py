"""Importing children from a register (花名册): the registry's importer on the shared engine
(care365/core/imports).

A row is a child. The ID number is required and is the key: a row whose number is registered to
a child the importing user keeps the registry of updates that child (importing the same file
twice changes nothing the second time); a number registered anywhere else is refused with the
same answer wherever it is (`duplicate`), as registering it by hand is. Birth date and sex must
agree with the ID number. Statuses listed are opened (ending one needs a reason: the child's
page); parents and the entrusted carer are written when their columns have values.

A chunk is written as the models write: the ID number, address and phones encrypted, the ID
number's and the entrusted carer's phone's keyed hashes, the name's sort key, the copy of the
open statuses; through COPY on PostgreSQL, bulk_create elsewhere. Each child created or changed
gets an audit row naming the import.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.areas import regions
from care365.areas.models import Area
from care365.core import crypto
from care365.core.imports import bulk
from care365.core.imports.columns import Column, DateValue, ErrorCode, add_messages, header_key
from care365.core.imports.engine import Applied, Importer, Row, earlier_chunks_committed
from care365.core.ledger import audit_append_rows
from care365.registry import idnumber, names
from care365.registry.hooks import child_changed, child_moved, children_changed_now
from care365.registry.models import (
    STATUS_AGE_LIMIT,
    Child,
    ChildStatus,
    DuplicateFlag,
    Ethnicity,
    Grade,
    Guardian,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Parent,
    ParentRole,
    ParentSituation,
    Sex,
    StatusKind,
    status_bits,
)
from care365.registry.services.common import ID_ERRORS
from care365.registry.services.statuses import open_statuses_sync

add_messages(
    {
        **{f"id_{reason.value}": message for reason, message in ID_ERRORS.items()},
        "taken": _(
            "A child with this ID number is already registered outside the area you keep the "
            "registry of. Register the child on the registration page to ask the county "
            "administrators to move the record."
        ),
        "exited": _(
            "This child has left the registry; the record can no longer be changed by an import."
        ),
        "ambiguous_village": _(
            "Several villages have this name: write the village's 12-digit code, or add the "
            "township column."
        ),
        "too_old": _("The registry is for children under 18."),
        "status_age": _("A child of this age cannot have this status."),
        "birth_date": _("The birth date does not match the ID number."),
        "sex": _("The sex does not match the ID number."),
    }
)

PARENT_SITUATION_SYNONYMS = {
    "外出": ParentSituation.AWAY_FOR_WORK,
    "务工": ParentSituation.AWAY_FOR_WORK,
    "在家": ParentSituation.AT_HOME,
    "在村": ParentSituation.AT_HOME,
    "死亡": ParentSituation.DEAD,
    "去世": ParentSituation.DEAD,
    "已故": ParentSituation.DEAD,
    "失踪": ParentSituation.MISSING,
    "失联": ParentSituation.MISSING,
    "服刑": ParentSituation.IMPRISONED,
    "服刑在押": ParentSituation.IMPRISONED,
    "重病": ParentSituation.UNABLE_TO_GUARD,
    "重残": ParentSituation.UNABLE_TO_GUARD,
    "无监护能力": ParentSituation.UNABLE_TO_GUARD,
}


PARENT_LABELS = {
    "father": (
        "父亲",
        _("father's name"),
        _("father's situation"),
        _("father's work place"),
        _("father's phone"),
    ),
    "mother": (
        "母亲",
        _("mother's name"),
        _("mother's situation"),
        _("mother's work place"),
        _("mother's phone"),
    ),
}


def _parent_columns(role: str) -> tuple[Column, ...]:
    zh, name, situation, work_place, phone = PARENT_LABELS[role]
    return (
        Column(
            f"{role}_name",
            f"{zh}姓名",
            name,
            max_length=50,
            example="张建国" if role == "father" else "李秀英",
        ),
        Column(
            f"{role}_situation",
            f"{zh}状况",
            situation,
            kind="choice",
            variants=(f"{zh}情况", f"{zh}去向"),
            choices=tuple(ParentSituation.choices),
            synonyms=PARENT_SITUATION_SYNONYMS,
            example="外出务工",
        ),
        Column(
            f"{role}_work_place",
            f"{zh}务工地点",
            work_place,
            variants=(f"{zh}务工地", f"{zh}工作单位", f"{zh}外出务工地点"),
            max_length=100,
            example="浙江省杭州市",
        ),
        Column(
            f"{role}_phone",
            f"{zh}联系电话",
            phone,
            kind="phone",
            variants=(f"{zh}电话", f"{zh}手机", f"{zh}手机号码"),
            example="13912345678" if role == "father" else "",
        ),
    )


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "姓名",
        _("name"),
        required=True,
        variants=("儿童姓名", "学生姓名"),
        max_length=50,
        example="张小花",
    ),
    Column(
        "sex",
        "性别",
        _("sex"),
        kind="choice",
        required=True,
        choices=tuple(Sex.choices),
        synonyms={"男": Sex.MALE, "女": Sex.FEMALE, "男性": Sex.MALE, "女性": Sex.FEMALE},
        example="女",
    ),
    Column(
        "birth_date",
        "出生日期",
        _("birth date"),
        kind="date",
        required=True,
        variants=("出生年月", "出生年月日", "出生时间", "生日"),
        example="2015-03-09",
    ),
    Column(
        "ethnicity",
        "民族",
        _("ethnicity"),
        kind="choice",
        choices=tuple(Ethnicity.choices),
        synonyms={"汉": Ethnicity.HAN, "畲": Ethnicity.SHE, "壮": Ethnicity.ZHUANG},
        example="汉族",
    ),
    Column(
        "id_number",
        "公民身份号码",
        _("resident ID number"),
        kind="raw",
        required=True,
        variants=("身份证号", "身份证号码", "身份证", "公民身份证号码", "证件号码", "儿童身份证号"),
        example="331127201503091228",
    ),
    Column(
        "hukou",
        "户口性质",
        _("hukou"),
        kind="choice",
        variants=("户籍性质", "户口类型", "户口"),
        choices=tuple(Hukou.choices),
        synonyms={
            "农业": Hukou.RURAL,
            "农村": Hukou.RURAL,
            "非农业": Hukou.URBAN,
            "城镇": Hukou.URBAN,
        },
        example="农业户口",
    ),
    Column(
        "township",
        "所在乡镇（街道）",
        _("township"),
        kind="raw",
        variants=("乡镇", "乡镇街道", "所在乡镇", "街道"),
        example="鹤溪街道",
    ),
    Column(
        "village",
        "所在村（社区）",
        _("village"),
        kind="raw",
        required=True,
        variants=("所在村", "村社区", "村", "村居", "所在村居", "行政村", "村委会"),
        example="东弄村",
    ),
    Column(
        "address",
        "家庭住址",
        _("address"),
        variants=("住址", "现住址", "家庭地址", "居住地址"),
        max_length=200,
        example="东弄村12号",
    ),
    Column("school", "就读学校", _("school"), variants=("学校", "学校名称"), max_length=100),
    Column(
        "grade",
        "年级",
        _("grade"),
        kind="choice",
        variants=("就读年级", "在读年级"),
        choices=tuple(Grade.choices),
        synonyms={
            "一年级": Grade.PRIMARY_1,
            "二年级": Grade.PRIMARY_2,
            "三年级": Grade.PRIMARY_3,
            "四年级": Grade.PRIMARY_4,
            "五年级": Grade.PRIMARY_5,
            "六年级": Grade.PRIMARY_6,
            "七年级": Grade.JUNIOR_1,
            "八年级": Grade.JUNIOR_2,
            "九年级": Grade.JUNIOR_3,
            "初一": Grade.JUNIOR_1,
            "初二": Grade.JUNIOR_2,
            "初三": Grade.JUNIOR_3,
            "高一": Grade.SENIOR_1,
            "高二": Grade.SENIOR_2,
            "高三": Grade.SENIOR_3,
            "幼儿园": Grade.KINDERGARTEN,
            "学前": Grade.KINDERGARTEN,
            "未入学": Grade.NOT_IN_SCHOOL,
            "中职": Grade.VOCATIONAL,
            "职高": Grade.VOCATIONAL,
            "辍学": Grade.DROPPED_OUT,
        },
        example="小学三年级",
    ),
    Column(
        "boarding",
        "是否寄宿",
        _("boards at school"),
        kind="bool",
        variants=("寄宿", "是否住校"),
        example="否",
    ),
    Column(
        "statuses",
        "儿童类别",
        _("statuses"),
        kind="multi",
        variants=("类别", "儿童类型", "人员类别"),
        choices=tuple(StatusKind.choices),
        synonyms={
            "留守": StatusKind.LEFT_BEHIND,
            "贫困": StatusKind.DIFFICULTY_POVERTY,
            "残疾": StatusKind.DIFFICULTY_DISABILITY,
            "监护缺失": StatusKind.DIFFICULTY_GUARDIANSHIP,
            "事实无人抚养": StatusKind.UNSUPPORTED,
        },
        example="留守儿童",
    ),
    Column("health_notes", "健康状况", _("health notes"), variants=("健康情况",), max_length=1000),
    Column(
        "disability_notes",
        "残疾情况",
        _("disability notes"),
        variants=("残疾类别", "残疾状况"),
        max_length=1000,
    ),
    Column(
        "income_source",
        "家庭主要收入来源",
        _("main family income source"),
        kind="choice",
        variants=("主要收入来源", "收入来源"),
        choices=tuple(IncomeSource.choices),
        synonyms={"务工": IncomeSource.MIGRANT_WORK, "低保": IncomeSource.SUBSISTENCE},
        example="外出务工",
    ),
    *_parent_columns("father"),
    *_parent_columns("mother"),
    Column(
        "guardian_name",
        "委托监护人姓名",
        _("entrusted carer's name"),
        variants=("监护人姓名", "被委托人姓名", "委托照护人姓名", "实际监护人姓名"),
        max_length=50,
        example="王桂兰",
    ),
    Column(
        "guardian_relationship",
        "与儿童关系",
        _("entrusted carer's relationship"),
        kind="choice",
        variants=("监护人与儿童关系", "与儿童关系", "关系", "被委托人与儿童关系"),
        choices=tuple(GuardianRelationship.choices),
        synonyms={
            "祖父": GuardianRelationship.GRANDFATHER,
            "爷爷": GuardianRelationship.GRANDFATHER,
            "外祖父": GuardianRelationship.GRANDFATHER,
            "外公": GuardianRelationship.GRANDFATHER,
            "祖母": GuardianRelationship.GRANDMOTHER,
            "奶奶": GuardianRelationship.GRANDMOTHER,
            "外祖母": GuardianRelationship.GRANDMOTHER,
            "外婆": GuardianRelationship.GRANDMOTHER,
            "祖父母": GuardianRelationship.GRANDPARENTS,
            "叔叔": GuardianRelationship.UNCLE_AUNT,
            "伯伯": GuardianRelationship.UNCLE_AUNT,
            "姑姑": GuardianRelationship.UNCLE_AUNT,
            "舅舅": GuardianRelationship.UNCLE_AUNT,
            "阿姨": GuardianRelationship.UNCLE_AUNT,
            "哥哥": GuardianRelationship.SIBLING,
            "姐姐": GuardianRelationship.SIBLING,
            "父亲": GuardianRelationship.PARENT,
            "母亲": GuardianRelationship.PARENT,
            "亲属": GuardianRelationship.OTHER_RELATIVE,
            "其他": GuardianRelationship.OTHER,
        },
        example="祖母",
    ),
    Column(
        "guardian_phone",
        "委托监护人联系电话",
        _("entrusted carer's phone"),
        kind="phone",
        variants=("监护人电话", "监护人联系电话", "被委托人联系电话", "监护人手机"),
        example="0578-5081234",
    ),
)

# The fields of a parent's and an entrusted carer's row, in the order of the importer's tuples.
PARENT_ROW = ("child_id", "role", "name", "situation", "work_place", "phone")
GUARDIAN_ROW = ("child_id", "name", "relationship", "phone")

CHILD_VALUES = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "hukou",
    "address",
    "school",
    "grade",
    "boarding",
    "health_notes",
    "disability_notes",
    "income_source",
)
PARENT_VALUES = ("name", "situation", "work_place", "phone")
DEFAULTS: dict[str, Any] = {
    "ethnicity": Ethnicity.HAN,
    "hukou": Hukou.RURAL,
    "address": "",
    "school": "",
    "grade": Grade.NOT_IN_SCHOOL,
    "boarding": False,
    "health_notes": "",
    "disability_notes": "",
    "income_source": IncomeSource.MIGRANT_WORK,
}


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class ChildImporter(Importer):
    kind: ClassVar[str] = "children"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    key_column: ClassVar[str | None] = "id_number"
    replayable: ClassVar[bool] = True
    grows: ClassVar[tuple[type[Model], ...]] = (Child, ChildStatus, Parent, Guardian)
    overlaps: ClassVar[bool] = True

    def key(self, row: Row) -> Any:
        raw = row.values.get("id_number")
        return idnumber.normalise(raw) if raw else None

    # -- checking ------------------------------------------------------------------------------

    def _villages(self) -> tuple[dict[str, int], dict[str, list[tuple[int, int]]]]:
        """The scope's villages by code, and by name ((village id, township id) each)."""
        cached = getattr(self, "_village_index", None)
        if cached is None:
            by_code: dict[str, int] = {}
            by_name: dict[str, list[tuple[int, int]]] = {}
            for pk, code, name, parent_id in Area.objects.filter(
                pk__in=self.scope.village_ids
            ).values_list("pk", "code", "name", "parent_id"):
                by_code[code] = pk
                by_name.setdefault(header_key(name), []).append((pk, parent_id or 0))
            townships = dict(
                Area.objects.filter(
                    level=Area.Level.TOWNSHIP, code__startswith=self.scope.county_code
                ).values_list("name", "pk")
            )
            cached = (by_code, by_name, {header_key(k): v for k, v in townships.items()})
            self._village_index = cached
        return cached[0], cached[1]

    def _township_ids(self) -> dict[str, int]:
        self._villages()
        found: dict[str, int] = self._village_index[2]
        return found

    def _village(self, row: Row) -> None:
        text = row.values.get("village")
        if not text:
            return
        by_code, by_name = self._villages()
        if text.isascii() and text.isdigit():
            pk = by_code.get(text)
        else:
            found = by_name.get(header_key(text), [])
            township = row.values.get("township")
            if township and len(found) > 1:
                township_id = self._township_ids().get(header_key(township))
                found = [f for f in found if f[1] == township_id]
            if len(found) > 1:
                row.refuse("village", ErrorCode.UNKNOWN_VILLAGE, "ambiguous_village")
                return
            pk = found[0][0] if found else None
        if pk is None:
            row.refuse("village", ErrorCode.UNKNOWN_VILLAGE)
        else:
            row.values["village_id"] = pk

    def _identity(self, row: Row) -> None:
        raw = row.values.get("id_number")
        if not raw:
            return
        try:
            parsed = idnumber.parse(raw, known_region=regions.is_known)
        except idnumber.InvalidIdNumber as exc:
            row.refuse("id_number", ErrorCode.ID_CHECKSUM, f"id_{exc.reason.value}")
            return
        row.values["id_number"] = parsed.number
        born: DateValue | None = row.values.get("birth_date")
        if born is not None:
            agrees = (
                (born.day.year, born.day.month) == (parsed.birth_date.year, parsed.birth_date.month)
                if born.month_only
                else born.day == parsed.birth_date
            )
            if not agrees:
                row.refuse("birth_date", ErrorCode.ID_MISMATCH, "birth_date")
            else:
                row.values["birth_date"] = DateValue(parsed.birth_date)
        sex = row.values.get("sex")
        if sex and sex != parsed.sex:
            row.refuse("sex", ErrorCode.ID_MISMATCH, "sex")
        row.found["hash"] = crypto.lookup_hash(parsed.number)

    def _dates(self, row: Row) -> None:
        born: DateValue | None = row.values.get("birth_date")
        if born is None or any(e.column == "birth_date" for e in row.errors):
            return
        if born.day > self.today:
            row.refuse("birth_date", ErrorCode.BAD_DATE, "future")
        elif _age(born.day, self.today) >= 18:
            row.refuse("birth_date", ErrorCode.BAD_DATE, "too_old")
        else:
            age = _age(born.day, self.today)
            for kind in row.values.get("statuses") or []:
                if age >= STATUS_AGE_LIMIT[kind]:
                    row.refuse("statuses", ErrorCode.BAD_VALUE, "status_age")
                    break

    def check(self, rows: list[Row]) -> None:
        for row in rows:
            self._village(row)
            self._identity(row)
            self._dates(row)
        self._registered(rows)

    def recheck(self, rows: list[Row]) -> None:
        """The rows' ID numbers looked up again: another user may have registered one since."""
        for row in rows:
            row.found.pop("child_id", None)
        self._registered(rows)

    def _registered(self, rows: list[Row]) -> None:
        """Rows whose ID number is registered: updates of a child the user keeps the registry
        of, refused anywhere else."""
        hashes = {row.found["hash"]: row for row in rows if "hash" in row.found}
        if not hashes:
            return
        existing = Child.objects.filter(
            bulk.values_in("id_number_hash", hashes, "text")
        ).values_list("pk", "id_number_hash", "village_id", "exited_on")
        for pk, number_hash, village_id, exited_on in existing:
            row = hashes[number_hash]
            if village_id not in self.scope.village_ids:
                row.refuse("id_number", ErrorCode.DUPLICATE, "taken")
            elif exited_on is not None:
                row.refuse("id_number", ErrorCode.DUPLICATE, "exited")
            else:
                row.found["child_id"] = pk

    # -- applying ------------------------------------------------------------------------------

    def apply(self, rows: list[Row]) -> Applied:
        new = [row for row in rows if "child_id" not in row.found]
        old = [row for row in rows if "child_id" in row.found]
        now = timezone.now()
        created = self._create(new, now) if new else []
        # The new children are due on their first days; they have nothing yet but the rows
        # written here.
        children_changed_now([pk for pk, _f, _key in created], new=True)
        # What follows reads the registry (children to update, possible duplicates) and takes
        # the audit trail's lock: after the chunk before this one has committed.
        earlier_chunks_committed()
        changed = self._update(old) if old else {}
        audit_append_rows(
            actor_id=getattr(self.actor, "pk", None),
            action="child_import",
            object_type=Child._meta.label_lower,
            note=f"import #{self.import_id}",
            at=now,
            items=[
                (pk, sorted(set(fields)))
                for pk, fields in [*((pk, f) for pk, f, _key in created), *changed.items()]
                if fields
            ],
        )
        self._flag_duplicates(created)
        # The updated children are due on new days (moved, a parent away or back).
        children_changed_now(changed)
        for pk in changed:
            child_changed(pk)
        return Applied(created=len(created), updated=len(old))

    @staticmethod
    def _child_values(row: Row) -> dict[str, Any]:
        values = row.values
        out: dict[str, Any] = {}
        for name in CHILD_VALUES:
            value = values.get(name)
            if isinstance(value, DateValue):
                value = value.day
            if name == "name" and value is not None:
                value = names.normalise(str(value))
            out[name] = value
        out["village_id"] = values["village_id"]
        return out

    @staticmethod
    def _parents(row: Row) -> list[dict[str, Any]]:
        found = []
        for role in (ParentRole.FATHER, ParentRole.MOTHER):
            data = {f: row.values.get(f"{role}_{f}") for f in PARENT_VALUES}
            if any(v for v in data.values()):
                data["role"] = role
                found.append(data)
        return found

    @staticmethod
    def _guardian(row: Row) -> dict[str, Any] | None:
        data = {
            "name": row.values.get("guardian_name"),
            "relationship": row.values.get("guardian_relationship"),
            "phone": row.values.get("guardian_phone"),
        }
        return data if data["name"] else None

    def _create(
        self, rows: list[Row], now: Any
    ) -> list[tuple[int, list[str], tuple[str, date, int]]]:
        """New children with their statuses, parents and entrusted carers:
        [(id, fields, (name, birth date, village id))]."""
        children: list[dict[str, Any]] = []
        for row in rows:
            values: dict[str, Any] = {
                k: v if v is not None else DEFAULTS.get(k)
                for k, v in self._child_values(row).items()
            }
            values["name_sort"] = names.sort_key(values["name"])
            values["id_number"] = row.values["id_number"]
            values["id_number_hash"] = row.found["hash"]
            values["open_statuses"] = status_bits(row.values.get("statuses") or [])
            children.append(values)
        fields = sorted(
            {k for row in rows for k, v in row.values.items() if v not in (None, "", [])}
        )
        if bulk.is_postgres():
            ids = self._copy_children(rows, children, now)
        else:
            made = Child.objects.bulk_create([Child(**values) for values in children])
            ids = [child.pk for child in made]
        statuses: list[tuple[Any, ...]] = []
        parents: list[tuple[Any, ...]] = []
        guardians: list[tuple[Any, ...]] = []
        for pk, row in zip(ids, rows, strict=True):
            for kind in row.values.get("statuses") or []:
                statuses.append((pk, kind, self.today))
            for data in self._parents(row):
                parents.append(self._parent_values(pk, data))
            if (g := self._guardian(row)) is not None:
                guardians.append(self._guardian_values(pk, g))
        if bulk.is_postgres():
            self._copy_attached(statuses, parents, guardians)
        else:
            ChildStatus.objects.bulk_create(
                [ChildStatus(child_id=s[0], kind=s[1], started_on=s[2]) for s in statuses]
            )
            Parent.objects.bulk_create(
                [Parent(**dict(zip(PARENT_ROW, p, strict=True))) for p in parents]
            )
            Guardian.objects.bulk_create(
                [Guardian(**dict(zip(GUARDIAN_ROW, g, strict=True))) for g in guardians]
            )
        result: list[tuple[int, list[str], tuple[str, date, int]]] = [
            (pk, fields, (str(c["name"]), c["birth_date"], int(c["village_id"])))
            for pk, c in zip(ids, children, strict=True)
        ]
        return result

    @staticmethod
    def _parent_values(pk: int, data: dict[str, Any]) -> tuple[Any, ...]:
        """A parent's row as PARENT_ROW lists its fields."""
        situation = data.get("situation") or (
            ParentSituation.AWAY_FOR_WORK if data.get("work_place") else ParentSituation.AT_HOME
        )
        away = situation == ParentSituation.AWAY_FOR_WORK
        return (
            pk,
            data["role"],
            names.normalise(data.get("name") or ""),
            situation,
            (data.get("work_place") or "") if away else "",
            data.get("phone") or "",
        )

    @classmethod
    def _parent(cls, pk: int, data: dict[str, Any]) -> Parent:
        return Parent(**dict(zip(PARENT_ROW, cls._parent_values(pk, data), strict=True)))

    @staticmethod
    def _guardian_values(pk: int, data: dict[str, Any]) -> tuple[Any, ...]:
        """An entrusted carer's row as GUARDIAN_ROW lists its fields."""
        return (
            pk,
            names.normalise(data["name"]),
            data.get("relationship") or GuardianRelationship.OTHER,
            data.get("phone") or "",
        )

    @classmethod
    def _guardian_row(cls, pk: int, data: dict[str, Any]) -> Guardian:
        return Guardian(**dict(zip(GUARDIAN_ROW, cls._guardian_values(pk, data), strict=True)))

    def _copy_children(
        self, rows: list[Row], children: list[dict[str, Any]], now: Any
    ) -> list[int]:
        ids = bulk.next_ids(Child, len(children))
        enc = crypto.encrypt
        bulk.copy_rows(
            Child,
            (
                "id", "name", "name_sort", "sex", "birth_date", "ethnicity", "id_number",
                "id_number_hash", "hukou", "village", "address", "school", "grade", "boarding",
                "health_notes", "disability_notes", "interests", "languages", "income_source",
                "registered_at", "updated_at", "exit_reason", "open_statuses",
            ),
            (
                (
                    pk, c["name"], c["name_sort"], c["sex"], c["birth_date"], c["ethnicity"],
                    enc(c["id_number"]), c["id_number_hash"], c["hukou"], c["village_id"],
                    enc(c["address"]) if c["address"] else "", c["school"], c["grade"],
                    c["boarding"], c["health_notes"], c["disability_notes"], "[]", "[]",
                    c["income_source"], now, now, "", c["open_statuses"],
                )
                for pk, c in zip(ids, children, strict=True)
            ),
        )  # fmt: skip
        return ids

    @staticmethod
    def _copy_attached(
        statuses: list[tuple[Any, ...]],
        parents: list[tuple[Any, ...]],
        guardians: list[tuple[Any, ...]],
    ) -> None:
        enc = crypto.encrypt
        bulk.copy_rows(
            ChildStatus,
            ("child", "kind", "started_on", "end_reason"),
            ((pk, kind, started, "") for pk, kind, started in statuses),
        )
        bulk.copy_rows(
            Parent,
            ("child", "role", "name", "situation", "work_place", "unable_reason", "phone"),
            (
                (pk, role, name, situation, work_place, "", enc(phone) if phone else "")
                for pk, role, name, situation, work_place, phone in parents
            ),
        )
        bulk.copy_rows(
            Guardian,
            ("child", "name", "relationship", "phone", "phone_hash"),
            (
                (pk, name, relationship, enc(phone) if phone else "",
                 crypto.phone_hash(phone) if phone else None)
                for pk, name, relationship, phone in guardians
            ),
        )  # fmt: skip

    def _update(self, rows: list[Row]) -> dict[int, list[str]]:
        """Bring registered children up to the rows: only the values the file gives (a blank
        cell leaves the field as it is). {child id: fields changed}."""
        by_pk = {row.found["child_id"]: row for row in rows}
        children = Child.objects.select_for_update().filter(pk__in=list(by_pk))
        changed: dict[int, list[str]] = {}
        dirty: list[Child] = []
        fields_touched: set[str] = set()
        for child in children:
            row = by_pk[child.pk]
            fields = []
            for name, value in self._child_values(row).items():
                if value is None:
                    continue
                if getattr(child, name) != value:
                    setattr(child, name, value)
                    fields.append(name.removesuffix("_id"))
                    fields_touched.add(name)
            if "name" in fields_touched and "name" in fields:
                child.name_sort = names.sort_key(child.name)
                fields_touched.add("name_sort")
            if fields:
                dirty.append(child)
            changed[child.pk] = fields
        if dirty:
            Child.objects.bulk_update(
                dirty, sorted(fields_touched | {"updated_at"}), batch_size=500
            )
        # A child the file puts in another village moves as a move by hand does: whatever keeps
        # a copy of the child's village (the risk score) follows in this transaction.
        for child in dirty:
            if "village" in changed[child.pk]:
                child_moved(child.pk, child.village_id)
        self._update_attached(by_pk, changed)
        return changed

    def _update_attached(self, by_pk: dict[int, Row], changed: dict[int, list[str]]) -> None:
        pks = list(by_pk)
        open_kinds: dict[int, set[str]] = {}
        for child_id, kind in ChildStatus.objects.filter(
            child_id__in=pks, ended_on__isnull=True
        ).values_list("child_id", "kind"):
            open_kinds.setdefault(child_id, set()).add(kind)
        new_statuses = []
        for pk, row in by_pk.items():
            for kind in row.values.get("statuses") or []:
                if kind not in open_kinds.get(pk, set()):
                    new_statuses.append(ChildStatus(child_id=pk, kind=kind, started_on=self.today))
                    changed[pk].append("statuses")
        if new_statuses:
            ChildStatus.objects.bulk_create(new_statuses)
            open_statuses_sync([s.child_id for s in new_statuses])
        parents = {(p.child_id, p.role): p for p in Parent.objects.filter(child_id__in=pks)}
        guardians = {g.child_id: g for g in Guardian.objects.filter(child_id__in=pks)}
        for pk, row in by_pk.items():
            for data in self._parents(row):
                wanted = self._parent(pk, data)
                have = parents.get((pk, data["role"]))
                if have is None:
                    wanted.save()
                    changed[pk].append(data["role"])
                    continue
                differs = False
                for name in ("name", "situation", "work_place", "phone"):
                    value = getattr(wanted, name)
                    if (value or name == "situation") and getattr(have, name) != value:
                        setattr(have, name, value)
                        differs = True
                if differs:
                    have.save()
                    changed[pk].append(data["role"])
            if (g := self._guardian(row)) is not None:
                wanted_g = self._guardian_row(pk, g)
                have_g = guardians.get(pk)
                if have_g is None:
                    wanted_g.save()
                    changed[pk].append("guardian")
                    continue
                differs = False
                for name in ("name", "relationship", "phone"):
                    value = getattr(wanted_g, name)
                    if value and getattr(have_g, name) != value and g.get(name):
                        setattr(have_g, name, value)
                        differs = True
                if differs:
                    have_g.save()
                    changed[pk].append("guardian")

    def _flag_duplicates(self, created: list[tuple[int, list[str], tuple[str, date, int]]]) -> None:
        """Possible duplicates of the new children (same name, birth date and village, another
        record), for the director to decide, as a registration by hand flags them.

        Matched on the three together (`same_name_birth_village`): the values of three separate
        `IN` lists would also match every child with one of the chunk's names born on one of its
        birth dates in one of its villages, a number that grows with the registry."""
        if not created:
            return
        new = [(pk, *key) for pk, _fields, key in created]
        by_key: dict[tuple[str, date, int], list[int]] = {}
        for pk, n, b, v in same_name_birth_village({key for _pk, _fields, key in created}):
            by_key.setdefault((n, b, v), []).append(pk)
        flags = [
            DuplicateFlag(child_id=pk, other_id=other)
            for pk, n, b, v in new
            for other in by_key.get((n, b, v), [])
            if other != pk
        ]
        DuplicateFlag.objects.bulk_create(flags, ignore_conflicts=True)


# Names and birth dates per query of `same_name_birth_village` on SQLite.
_KEYS_PER_QUERY = 500


def same_name_birth_village(
    keys: set[tuple[str, date, int]],
) -> list[tuple[int, str, date, int]]:
    """The active children whose (name, birth date, village) is one of `keys`: joined on name
    and birth date together, through their index, and the village compared here. (Joined on the
    village too, the planner may add the village's index, which holds a whole village's
    children per key, to the name's.)"""
    table = connection.ops.quote_name(Child._meta.db_table)
    pairs = sorted({(n, b) for n, b, _v in keys})
    rows: list[tuple[int, str, Any, int]] = []
    odd = [pair for pair in pairs if bulk.SEPARATOR in pair[0]]  # cannot travel joined
    for n, b in odd:
        rows.extend(
            Child.objects.filter(name=n, birth_date=b, exited_on__isnull=True).values_list(
                "pk", "name", "birth_date", "village_id"
            )
        )
    pairs = [pair for pair in pairs if bulk.SEPARATOR not in pair[0]]
    with connection.cursor() as cursor:
        if pairs and bulk.is_postgres():
            sep = bulk.SEPARATOR
            cursor.execute(
                f"SELECT c.id, c.name, c.birth_date, c.village_id FROM {table} c "  # noqa: S608  # names are ours
                "JOIN unnest(string_to_array(%s, %s)::text[], string_to_array(%s, %s)::date[]) "
                "AS k(name, birth) ON c.name = k.name AND c.birth_date = k.birth "
                "WHERE c.exited_on IS NULL",
                [
                    sep.join(n for n, _b in pairs),
                    sep,
                    sep.join(b.isoformat() for _n, b in pairs),
                    sep,
                ],
            )
            rows.extend(cursor.fetchall())
        elif pairs:
            for at in range(0, len(pairs), _KEYS_PER_QUERY):
                part = pairs[at : at + _KEYS_PER_QUERY]
                values = ", ".join(["(%s, %s)"] * len(part))
                cursor.execute(
                    f"WITH k(name, birth) AS (VALUES {values}) "  # noqa: S608  # placeholders only
                    f"SELECT c.id, c.name, c.birth_date, c.village_id FROM {table} c "
                    "JOIN k ON c.name = k.name AND c.birth_date = k.birth "
                    "WHERE c.exited_on IS NULL",
                    [x for n, b in part for x in (n, b.isoformat())],
                )
                rows.extend(cursor.fetchall())
    found: list[tuple[int, str, date, int]] = []
    for pk, n, b, v in rows:
        key = (n, b if isinstance(b, date) else date.fromisoformat(b), v)
        if key in keys:
            found.append((pk, *key))
    return found
