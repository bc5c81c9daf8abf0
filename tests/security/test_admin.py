"""Django's admin is a side door: it reads rows without the access layer, so without an
access-log entry and without the role's field rules. Children's data is never registered there."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import Client

from care365.accounts.models import AccessLog
from care365.accounts.tests.factories import UserFactory
from care365.care.models import CareSettings, Examination, Screening
from care365.registry.models import Child

# Apps whose records are children's data, and the few of their models that are not (with why).
CHILDRENS_APPS = {"registry", "care", "protection"}
NOT_CHILDRENS_DATA = {
    # A county's visit intervals, risk threshold and trained screeners: no child in it.
    CareSettings,
}


def _childrens_models() -> set[type[models.Model]]:
    """Child, and every model that reaches it through its own relations (a foreign key, a
    one-to-one or a many-to-many to Child, or to a model that does: a task's screening)."""
    found: set[type[models.Model]] = {Child}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in found:
                continue
            related = {
                f.related_model
                for f in model._meta.get_fields()
                if f.is_relation and f.concrete and f.related_model is not None
            }
            if related & found:
                found.add(model)
                grew = True
    return found


def test_no_model_related_to_a_child_is_in_the_admin() -> None:
    childrens = _childrens_models()
    # The walk finds what it must: the child, their family, their care and their log.
    assert {Child, Examination, Screening, AccessLog} <= childrens
    registered = set(admin.site._registry)
    in_admin = sorted(m._meta.label for m in registered & childrens)
    assert in_admin == [], f"children's data registered in Django's admin: {in_admin}"
    by_app = sorted(
        m._meta.label
        for m in registered - NOT_CHILDRENS_DATA
        if m._meta.app_label in CHILDRENS_APPS
    )
    assert by_app == [], f"models of the children's apps registered in Django's admin: {by_app}"


@pytest.mark.django_db
def test_a_superuser_finds_no_screening_examination_or_access_log_in_the_admin(
    client: Client,
) -> None:
    superuser = UserFactory.create(role="", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    index = client.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    hidden = ("/admin/care/screening/", "/admin/care/examination/", "/admin/accounts/accesslog/")
    for path in hidden:
        assert path not in page
        assert client.get(path).status_code == 404
    # What is not children's data stays: areas, users, the county's care settings.
    for path in ("/admin/areas/area/", "/admin/accounts/user/", "/admin/care/caresettings/"):
        assert client.get(path).status_code == 200
