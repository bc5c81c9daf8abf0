from typing import Any

from django.contrib import admin
from django.contrib.admin import widgets

from care365.carers.models import Carer, Organisation
from care365.core.fields import EncryptedTextField

# Phones are encrypted at rest (a TextField underneath): edited in a one-line input all the same.
# Not searchable: the column holds tokens.
ONE_LINE: dict[Any, dict[str, Any]] = {
    EncryptedTextField: {"widget": widgets.AdminTextInputWidget},
}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # stubs' generic params
    list_display = ("name", "kind", "area", "phone")
    formfield_overrides = ONE_LINE
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("area",)


@admin.register(Carer)
class CarerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "role", "organisation", "capacity", "background_check", "active")
    formfield_overrides = ONE_LINE
    list_filter = ("role", "active", "background_check")
    search_fields = ("name",)
    autocomplete_fields = ("organisation", "service_areas")
