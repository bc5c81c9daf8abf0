"""Carers: police officers, doctors and volunteers, as the access layer lets a user see them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from care365.accounts.access import carer_get_for_user
from care365.accounts.http import account
from care365.accounts.selectors import carer_list
from care365.carers import forms


@login_required
def carer_list_view(request: HttpRequest) -> HttpResponse:
    user = account(request)
    form = forms.CarerFilterForm(request.GET, user=user)
    values = form.values()
    carers = carer_list(
        user, role=values.get("role"), area=values.get("area"), q=values.get("q", "")
    )
    page = Paginator(carers, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(values)
    return render(request, "carers/list.html", {"form": form, "page": page, "query": query})


@login_required
def carer_detail(request: HttpRequest, carer_id: int) -> HttpResponse:
    carer = carer_get_for_user(account(request), carer_id)
    return render(request, "carers/detail.html", {"carer": carer})
