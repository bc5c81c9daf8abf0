from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care365.registry import idnumber
from care365.registry.idnumber import IdNumberError, InvalidIdNumber

regions = st.from_regex(r"\A[1-8][0-9]{5}\Z", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


def test_known_number_from_the_standard() -> None:
    # The worked example of GB 11643-1999's check character (ISO 7064 MOD 11-2).
    parsed = idnumber.parse("11010519491231002X")
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.region == "110105"


@given(regions, births, sequences)
def test_made_numbers_parse_back_to_what_made_them(region: str, born: date, sequence: int) -> None:
    number = idnumber.make(region, born, sequence)
    parsed = idnumber.parse(number)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.region == region
    assert parsed.sex == ("M" if sequence % 2 else "F")


@given(regions, births, sequences, st.integers(min_value=0, max_value=16), st.data())
def test_any_single_digit_change_is_caught(
    region: str, born: date, sequence: int, position: int, data: st.DataObject
) -> None:
    number = idnumber.make(region, born, sequence)
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + other + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(changed)


@given(regions, births, sequences, st.integers(min_value=0, max_value=15))
def test_swapping_two_neighbouring_digits_is_caught(
    region: str, born: date, sequence: int, position: int
) -> None:
    number = idnumber.make(region, born, sequence)
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(swapped)


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        idnumber.parse(text)
    except InvalidIdNumber as exc:
        assert exc.reason in set(IdNumberError)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", IdNumberError.SHAPE),
        ("33112720150314001", IdNumberError.SHAPE),
        ("3311272015031400190", IdNumberError.SHAPE),
        ("33112720150230001X", IdNumberError.DATE),
        ("331127201503140019", IdNumberError.CHECK),
        ("3311272015031400\u0968\u0968", IdNumberError.SHAPE),  # Devanagari digits
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: IdNumberError) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        idnumber.parse(raw)
    assert info.value.reason == reason


def test_other_scripts_digits_are_refused() -> None:
    with pytest.raises(ValueError):
        idnumber.make("1\u0aea0000", date(2000, 1, 1), 0)


def test_lower_case_x_and_spaces_are_accepted() -> None:
    number = idnumber.make("331127", date(2014, 6, 1), 3)
    if number.endswith("X"):
        assert idnumber.parse(number.lower()).number == number
    assert idnumber.parse(f" {number[:6]} {number[6:]} ").number == number


def test_mask_shows_the_address_code_only() -> None:
    masked = idnumber.mask("33112720150314001X")
    assert masked == "331127************"
    assert "20150314" not in masked


def _candidates(masked: str, birth_date: date, sex: str) -> list[str]:
    """Every valid number a viewer who sees `masked`, the birth date and the sex could not rule
    out: tried one by one over the whole space the hidden characters span."""
    region = masked[:6]
    found = []
    for sequence in range(1000):
        number = idnumber.make(region, birth_date, sequence)
        parsed = idnumber.parse(number)
        if parsed.sex == sex and idnumber.mask(number) == masked:
            found.append(number)
    return found


@given(regions, births, sequences)
def test_a_mask_leaves_at_least_100_numbers_given_birth_date_and_sex(
    region: str, born: date, sequence: int
) -> None:
    number = idnumber.make(region, born, sequence)
    parsed = idnumber.parse(number)
    candidates = _candidates(idnumber.mask(number), parsed.birth_date, parsed.sex)
    assert number in candidates
    assert len(candidates) >= 100
    assert len(candidates) == 500  # as the docstring of `mask` works out
