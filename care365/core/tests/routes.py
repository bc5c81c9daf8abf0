"""The pages of the one URLconf (config/urls.py), every app's included: what the access matrix
and the leak checks walk, so that no route can be forgotten."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

# Not pages of Care365: Django's admin, the language switch and the API (walked from its schema).
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/")


def page_patterns() -> dict[str, URLPattern]:
    """Every named page route as "namespace:name" -> its pattern."""
    found: dict[str, URLPattern] = {}

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for item in patterns:
            if isinstance(item, URLResolver):
                if str(item.pattern).startswith(SKIPPED_PREFIXES):
                    continue
                walk(item.url_patterns, item.namespace or namespace)
            elif item.name:
                found[f"{namespace}:{item.name}"] = item

    walk(get_resolver().url_patterns, "")
    return found


def qualified_names() -> dict[str, str]:
    """A page's name -> its "namespace:name" (names are unique across the apps)."""
    names: dict[str, str] = {}
    for qualified in page_patterns():
        name = qualified.split(":", 1)[1]
        assert name not in names, f"two pages are called {name!r}"
        names[name] = qualified
    return names
