from calendar_utils import is_leap_year


def test_leap_years():
    for y in (2024, 2000, 1996, 1600, 4):
        assert is_leap_year(y) is True, y


def test_common_years():
    for y in (2023, 1900, 2100, 1800, 1):
        assert is_leap_year(y) is False, y
