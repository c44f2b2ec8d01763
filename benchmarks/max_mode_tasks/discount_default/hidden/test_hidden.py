from shop import apply_discount


def test_default_rate():
    assert abs(apply_discount(100) - 90) < 1e-9
    assert abs(apply_discount(50) - 45) < 1e-9
    assert apply_discount(0) == 0


def test_explicit_rate():
    assert abs(apply_discount(100, 0.25) - 75) < 1e-9
    assert apply_discount(80, 0) == 80
    assert apply_discount(80, rate=1) == 0
