from sums import range_sum


def test_inclusive():
    assert range_sum(1, 3) == 6
    assert range_sum(1, 100) == 5050
    assert range_sum(4, 4) == 4
    assert range_sum(-2, 2) == 0


def test_empty():
    assert range_sum(5, 1) == 0
