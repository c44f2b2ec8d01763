from weather import format_temp


def test_default_unit():
    assert format_temp(21.5) == "21.5 C"
    assert format_temp(0) == "0.0 C"


def test_unit():
    assert format_temp(70, unit="F") == "70.0 F"
    assert format_temp(70, "F") == "70.0 F"
    assert format_temp(300, unit="K") == "300.0 K"
    assert format_temp(-3.5, "C") == "-3.5 C"
