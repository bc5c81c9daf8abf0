"""The admin site with encrypted contacts: a carer's phone is edited in a one-line input and saved
encrypted; the users' list searches by name, never by the encrypted email."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from care365.accounts.tests.factories import UserFactory
from care365.carers.models import Carer
from care365.core import crypto
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(personas: Personas) -> Client:
    root = UserFactory.create(username="root", role="", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


def test_a_carer_s_phone_is_edited_in_the_admin_and_stored_encrypted(
    superuser_client: Client, personas: Personas
) -> None:
    carer = personas.officer.carer
    assert carer is not None
    carer.phone = "13700000001"
    carer.save()
    url = f"/admin/carers/carer/{carer.pk}/change/"
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert '<input type="text" name="phone" value="13700000001"' in page.content.decode()

    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "phone": "13711112222",
            "organisation": carer.organisation_id,
            "skills": "[]",
            "languages": "[]",
            "service_areas": [a.pk for a in carer.service_areas.all()],
            "_save": "Save",
        }
    )
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    assert Carer.objects.get(pk=carer.pk).phone == "13711112222"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM carers_carer WHERE id = %s", [carer.pk])
        (stored,) = cursor.fetchone()
    assert "13711112222" not in stored and crypto.decrypt(stored) == "13711112222"


def test_the_users_list_searches_by_name_not_by_the_encrypted_email(
    superuser_client: Client, personas: Personas
) -> None:
    personas.officer.email = "officer@police.example"
    personas.officer.save()
    by_name = superuser_client.get("/admin/accounts/user/", {"q": personas.officer.username})
    assert by_name.status_code == 200
    assert personas.officer in list(by_name.context["cl"].result_list)
    by_email = superuser_client.get("/admin/accounts/user/", {"q": "officer@police.example"})
    assert by_email.status_code == 200
    assert list(by_email.context["cl"].result_list) == []
    page = superuser_client.get(f"/admin/accounts/user/{personas.officer.pk}/change/")
    assert '<input type="text" name="email" value="officer@police.example"' in (
        page.content.decode()
    )
