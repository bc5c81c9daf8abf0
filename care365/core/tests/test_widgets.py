"""ListSelect writes exactly the HTML of Django's Select, only faster."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from care365.core.widgets import ListSelect

CHOICES: list[Any] = [
    ("", gettext_lazy("any")),
    ("safe", mark_safe("<b>bold</b>")),
    (1, "红星街道"),
    (2, '· 大赤坑村 <"&">'),
    ("group", [(3, "三"), (4, "四")]),
    (5, "五"),
]


@pytest.mark.parametrize("value", [None, "", 2, "4", [1, 5]])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_area", "required": True, "disabled": False, "data-x": "<a>"}]
)
def test_list_select_writes_the_html_of_djangos_select(value: Any, attrs: Any) -> None:
    ours = ListSelect(choices=CHOICES).render("area", value, attrs)
    django = forms.Select(choices=CHOICES).render("area", value, attrs)
    assert ours == django
    assert "&lt;&quot;&amp;&quot;&gt;" in ours and "<b>bold</b>" in ours


def test_a_filter_form_field_renders_through_list_select() -> None:
    class Form(forms.Form):
        area = forms.TypedChoiceField(choices=CHOICES, coerce=int, widget=ListSelect)

    class Plain(forms.Form):
        area = forms.TypedChoiceField(choices=CHOICES, coerce=int)

    data = {"area": "9"}  # not a choice: the field is shown with its error
    assert str(Form(data)["area"]) == str(Plain(data)["area"])
    assert str(Form()["area"]) == str(Plain()["area"])
