"""The one URLconf: each app owns its pages (`care365/<app>/urls.py`, its own namespace); this
module assembles them. Every id in a route is an <id:...>: bounded to what the databases store
(care365/core/ids.py), so a number too large for them is a 404 like any record that does not
exist, never a 500."""

from django.contrib import admin
from django.urls import include, path

from care365.core import ids  # noqa: F401  # registers the <id:...> converter every app's routes use
from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("care365.web.urls")),
    path("", include("care365.registry.urls")),
    path("", include("care365.accounts.urls")),
    path("", include("care365.areas.urls")),
    path("", include("care365.carers.urls")),
    path("", include("care365.pairing.urls")),
    path("", include("care365.protection.urls")),
    path("", include("care365.care.urls")),
    path("", include("care365.insights.urls")),
    path("", include("care365.imports.urls")),
    path("", include("care365.network.urls")),
]
