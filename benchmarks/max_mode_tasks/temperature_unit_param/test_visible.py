from weather import format_temp


def test_fahrenheit():
    assert format_temp(70, unit="F") == "70.0 F"
