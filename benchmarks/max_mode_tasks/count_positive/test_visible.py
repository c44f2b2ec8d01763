from signs import count_positive


def test_zero_is_not_positive():
    assert count_positive([0, 3, 5]) == 2
