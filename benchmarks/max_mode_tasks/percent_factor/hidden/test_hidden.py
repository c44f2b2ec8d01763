from ratio import percent


def test_percent():
    assert percent(1, 2) == 50
    assert percent(1, 4) == 25
    assert percent(3, 3) == 100
    assert percent(0, 7) == 0
    assert abs(percent(1, 3) - 33.333333333) < 1e-6
