"""The API tokens page: one's own tokens with a revoke button; a county administrator's also
lists the county's users' tokens (issue 12, finding 8)."""

from __future__ import annotations

import pytest
from django.test import Client

from care365.accounts.models import ApiToken
from care365.accounts.services import api_token_create, api_token_user
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_user_sees_and_revokes_their_own_tokens(client: Client, personas: Personas) -> None:
    mine = api_token_create(user=personas.director_a, label="报表脚本")
    theirs = api_token_create(user=personas.director_b)
    client.force_login(personas.director_a)

    page = client.get("/account/tokens/", headers={"Accept-Language": "zh-hans"})

    html = page.content.decode()
    assert page.status_code == 200
    assert mine[:6] in html and "报表脚本" in html
    assert mine not in html and theirs[:6] not in html
    assert "撤销" in html  # the revoke button, in the user's language
    row = ApiToken.objects.get(user=personas.director_a)
    theirs_row = ApiToken.objects.get(user=personas.director_b)

    assert client.post(f"/account/tokens/{theirs_row.pk}/revoke/").status_code == 404
    assert api_token_user(theirs) == personas.director_b
    assert client.post(f"/account/tokens/{row.pk}/revoke/").status_code == 302
    assert api_token_user(mine) is None


def test_a_county_administrator_revokes_a_county_users_tokens(
    client: Client, personas: Personas
) -> None:
    director = api_token_create(user=personas.director_a)
    far = api_token_create(user=personas.other_admin)
    client.force_login(personas.admin)

    html = client.get("/account/tokens/").content.decode()
    assert personas.director_a.username in html and director[:6] in html
    assert far[:6] not in html

    assert (
        client.post(f"/account/users/{personas.other_admin.pk}/tokens/revoke/").status_code == 404
    )
    assert api_token_user(far) == personas.other_admin
    assert client.post(f"/account/users/{personas.director_a.pk}/tokens/revoke/").status_code == 302
    assert api_token_user(director) is None


def test_a_director_cannot_revoke_anybody_elses_tokens(client: Client, personas: Personas) -> None:
    token = api_token_create(user=personas.director_b)
    client.force_login(personas.director_a)

    assert client.post(f"/account/users/{personas.director_b.pk}/tokens/revoke/").status_code == 403
    assert client.post("/account/tokens/99999999999999999999/revoke/").status_code == 404
    assert api_token_user(token) == personas.director_b
