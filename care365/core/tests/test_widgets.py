"""ListSelect shows a select: the choices as options in order, the value selected, all escaped."""

from __future__ import annotations

from html.parser import HTMLParser
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


class Select(HTMLParser):
    """What a browser makes of the HTML: the select's attributes, its options (value, text,
    selected, group) and any other element found."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] = {}
        self.options: list[tuple[str | None, str, bool, str | None]] = []
        self.others: list[str] = []
        self._group: str | None = None
        self._option: dict[str, str | None] | None = None
        self._text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "select":
            self.attrs = dict(attrs)
        elif tag == "optgroup":
            self._group = dict(attrs)["label"]
        elif tag == "option":
            self._option, self._text = dict(attrs), ""
        else:
            self.others.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "optgroup":
            self._group = None
        elif tag == "option" and self._option is not None:
            selected = "selected" in self._option
            self.options.append((self._option["value"], self._text, selected, self._group))
            self._option = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._text += data

    def selected(self) -> list[str | None]:
        return [value for value, _, chosen, _ in self.options if chosen]


def test_the_options_are_the_choices_in_order_with_their_groups() -> None:
    select = Select(ListSelect(choices=CHOICES).render("area", None))
    assert select.attrs == {"name": "area"}
    assert select.options == [
        ("", str(CHOICES[0][1]), True, None),  # no value: the empty choice
        ("safe", "bold", False, None),  # in a bold element: marked safe
        ("1", "红星街道", False, None),
        ("2", '· 大赤坑村 <"&">', False, None),
        ("3", "三", False, "group"),
        ("4", "四", False, "group"),
        ("5", "五", False, None),
    ]


@pytest.mark.parametrize(
    ("value", "selected"), [(None, [""]), ("", [""]), (2, ["2"]), ("4", ["4"]), ([1, 5], ["1"])]
)
def test_the_value_is_selected(value: Any, selected: list[str]) -> None:
    # A single select selects one option: the first of a list of values.
    assert Select(ListSelect(choices=CHOICES).render("area", value)).selected() == selected


def test_labels_and_attributes_are_escaped_unless_marked_safe() -> None:
    attrs = {"id": "id_area", "required": True, "disabled": False, "data-x": '<a href="x">'}
    html = ListSelect(choices=CHOICES).render("area", 2, attrs)
    assert "· 大赤坑村 &lt;&quot;&amp;&quot;&gt;" in html
    assert 'data-x="&lt;a href=&quot;x&quot;&gt;"' in html
    select = Select(html)
    assert select.attrs == {
        "name": "area",
        "id": "id_area",
        "required": None,  # written bare
        "data-x": '<a href="x">',
    }
    assert select.others == ["b"]  # only the label marked safe is HTML
    assert select.selected() == ["2"]


def test_a_filter_form_field_shows_its_value_through_list_select() -> None:
    class Form(forms.Form):
        area = forms.TypedChoiceField(choices=CHOICES, coerce=int, widget=ListSelect)

    assert Select(str(Form({"area": "4"})["area"])).selected() == ["4"]
    shown = Select(str(Form({"area": "9"})["area"]))  # not a choice: shown, nothing selected
    assert shown.attrs["name"] == "area" and shown.selected() == []
    assert [value for value, *_ in Select(str(Form()["area"])).options][:3] == ["", "safe", "1"]
