from calendar_utils import is_leap_year


def test_is_leap_year():
    assert is_leap_year(2024) is True
    assert is_leap_year(2023) is False
