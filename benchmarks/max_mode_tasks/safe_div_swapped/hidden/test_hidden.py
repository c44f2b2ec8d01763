from div import safe_div


def test_divides():
    assert safe_div(10, 2) == 5
    assert safe_div(1, 4) == 0.25
    assert safe_div(0, 5) == 0
    assert safe_div(-9, 3) == -3


def test_zero_divisor():
    assert safe_div(1, 0) == 0
    assert safe_div(1, 0, default=None) is None
