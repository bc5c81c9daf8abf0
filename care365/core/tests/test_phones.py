import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from care365.core.phones import InvalidPhone, check_phone
from care365.core.validators import validate_phone


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13912345678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("199 1234 5678", "19912345678"),
        ("0578-5081234", "05785081234"),  # Lishui: 4-digit area code, 7-digit local number
        ("(0571) 8765 4321", "057187654321"),  # Hangzhou: 8-digit local number
        ("010-62751234", "01062751234"),  # Beijing: 3-digit area code, 8 digits
        ("021 6321 1234", "02163211234"),
        ("（0578）5081234", "05785081234"),  # full-width brackets, as Chinese keyboards type them
    ],
)
def test_valid_phones(raw: str, normal: str) -> None:
    assert check_phone(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "5081234",  # a landline without its area code
        "12912345678",  # no mobile number starts with 12
        "1391234567",  # 10 digits
        "139123456789",  # 12 digits
        "010-6275123",  # Beijing numbers have 8 digits
        "0578-0812345",  # local numbers do not start with 0
        "139abc45678",
        "110",  # an emergency number is not a contact's phone
        "00000000000",
    ],
)
def test_invalid_phones(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        check_phone(raw)


def test_validator_says_what_to_type_and_lets_blank_through() -> None:
    validate_phone("")
    with pytest.raises(ValidationError) as exc:
        validate_phone("5081234")
    assert exc.value.code == "phone"
    with translation.override("en"):  # the message is read in the language active then
        assert "area code" in str(exc.value.messages[0])
