"""`{% export_links "children" query %}`: a list page's export links (.csv and .xlsx, with the
page's filters), shown to those who may export (`accounts.access.may_export_lists`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from care365.accounts.access import may_export_lists
from care365.accounts.models import User

register = template.Library()


@register.inclusion_tag("insights/exports/_links.html", takes_context=True)
def export_links(context: dict[str, Any], list_name: str, query: str = "") -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not may_export_lists(user):
        return {"links": []}
    suffix = f"?{query}" if query else ""
    return {
        "links": [
            (fmt, reverse(f"insights:export-{list_name}", kwargs={"fmt": fmt}) + suffix)
            for fmt in ("xlsx", "csv")
        ]
    }
