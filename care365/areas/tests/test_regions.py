from care365.areas import regions
from care365.registry import idnumber


def test_current_and_historic_codes_are_known() -> None:
    assert regions.is_known("331127")  # 景宁畲族自治县 today
    assert regions.get("331127").name == "景宁畲族自治县"  # type: ignore[union-attr]
    assert regions.is_known("332527")  # a Lishui code abolished in 2000: old ID numbers keep it
    assert not regions.get("332527").current  # type: ignore[union-attr]
    assert regions.get("330000").name == "浙江省"  # type: ignore[union-attr]


def test_codes_that_never_existed_are_not() -> None:
    for code in ("000000", "999999", "331199", "12345"):
        assert not regions.is_known(code)


def test_province_and_prefecture_of_a_code() -> None:
    assert regions.province_code("331127") == "330000"
    assert regions.prefecture_code("331127001") == "331100"


def test_id_number_with_a_region_that_never_existed_is_refused() -> None:
    from datetime import date

    import pytest

    fake = idnumber.make("000000", date(2015, 1, 1), 1)
    assert idnumber.parse(fake).region == "000000"  # the shape alone passes
    with pytest.raises(idnumber.InvalidIdNumber) as exc:
        idnumber.parse(fake, known_region=regions.is_known)
    assert exc.value.reason is idnumber.IdNumberError.REGION
    real = idnumber.make("331127", date(2015, 1, 1), 1)
    assert idnumber.parse(real, known_region=regions.is_known).region == "331127"
