from sums import range_sum


def test_includes_b():
    assert range_sum(1, 3) == 6
