"""Normalise the names already on record as registry.names.normalise does for new ones (NFKC,
no zero-width characters, one space between words, trimmed), so that duplicate detection
compares like with like. A name that would be left blank is kept as it is for a person to
correct; anonymised records are left alone. The rule is copied here, as a migration's code
must not change after it ran."""

import unicodedata
from typing import Any

from django.db import migrations

_DROP = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
CHUNK = 2000


def _normalise(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).translate(_DROP).split())


def normalise_names(apps: Any, schema_editor: Any) -> None:
    # Anonymised records keep the placeholder the retention job writes as it writes it.
    for model_name, kept in (
        ("Child", {"anonymised_on__isnull": True}),
        ("Parent", {"child__anonymised_on__isnull": True}),
        ("Guardian", {"child__anonymised_on__isnull": True}),
    ):
        model = apps.get_model("registry", model_name)
        rows = model.objects.filter(**kept).order_by("pk").values_list("pk", "name")
        changed = []
        for pk, name in rows.iterator(CHUNK):
            clean = _normalise(name)
            if clean and clean != name:
                changed.append(model(pk=pk, name=clean))
            if len(changed) >= CHUNK:
                model.objects.bulk_update(changed, ["name"])
                changed = []
        model.objects.bulk_update(changed, ["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_transfer_requests"),
    ]

    operations = [
        # Reversing leaves the names normalised: the old spellings are not kept anywhere.
        migrations.RunPython(normalise_names, migrations.RunPython.noop),
    ]
