from shop import apply_discount


def test_default_is_ten_percent():
    assert abs(apply_discount(200) - 180) < 1e-9
