"""Reads of the area tree."""

from __future__ import annotations

from django.db.models import ForeignObjectRel, QuerySet

from care365.areas.models import Area


def area_village_ids(area: Area) -> list[int]:
    """Ids of the villages in an area's subtree (the area itself if it is a village)."""
    if area.level == Area.Level.VILLAGE:
        return [area.pk]
    if area.level == Area.Level.TOWNSHIP:
        return list(Area.objects.filter(parent=area).values_list("pk", flat=True))
    if area.level in Area.ABOVE_COUNTY:
        villages = Area.objects.filter(level=Area.Level.VILLAGE, code__startswith=area.code_prefix)
    else:
        villages = Area.objects.filter(level=Area.Level.VILLAGE, parent__parent=area)
    return list(villages.values_list("pk", flat=True))


def area_subtree(area: Area) -> QuerySet[Area]:
    """The area and every area below it."""
    if area.level == Area.Level.VILLAGE:
        return Area.objects.filter(pk=area.pk)
    return Area.objects.filter(code__startswith=area.code_prefix)


def area_tree(root: Area | None = None) -> list[Area]:
    """Areas in code order (a parent before its children), from `root` if given."""
    qs = Area.objects.select_related("parent").order_by("code")
    if root is not None:
        qs = qs.filter(code__startswith=root.code_prefix)
    return list(qs)


def area_get(area_id: int, *, level: str | None = None) -> Area | None:
    """An area by id (and level), or None: areas are public administrative divisions, so a
    filter naming one is not a read of anyone's data."""
    areas = Area.objects.filter(pk=area_id)
    if level is not None:
        areas = areas.filter(level=level)
    return areas.first()


def area_references(area: Area) -> dict[str, int]:
    """What names an area, by kind of record ("child", "carer", "user", ...): counts only, for
    the merge's confirmation page."""
    counts: dict[str, int] = {}
    for relation in area._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.related_model is Area:
            continue
        model = relation.related_model
        if model._meta.auto_created:  # a many-to-many table: counted through its relation
            continue
        field = relation.field
        count = model._default_manager.filter(**{field.name: area}).count()
        if count:
            name = str(model._meta.verbose_name_plural)
            counts[name] = counts.get(name, 0) + count
    return counts
