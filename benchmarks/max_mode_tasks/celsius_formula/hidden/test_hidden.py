from temperature import celsius_to_fahrenheit, fahrenheit_to_celsius


def test_c_to_f():
    assert celsius_to_fahrenheit(0) == 32
    assert celsius_to_fahrenheit(100) == 212
    assert celsius_to_fahrenheit(-40) == -40
    assert abs(celsius_to_fahrenheit(37) - 98.6) < 1e-9


def test_f_to_c_unchanged():
    assert fahrenheit_to_celsius(212) == 100
