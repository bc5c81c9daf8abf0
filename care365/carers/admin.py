from django.contrib import admin

from .models import Carer, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # stubs' generic params
    list_display = ("name", "kind", "area", "phone")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("area",)


@admin.register(Carer)
class CarerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "role", "organisation", "capacity", "background_check", "active")
    list_filter = ("role", "active", "background_check")
    search_fields = ("name",)
    autocomplete_fields = ("organisation", "service_areas")
