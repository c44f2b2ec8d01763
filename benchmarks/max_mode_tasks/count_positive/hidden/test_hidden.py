from signs import count_positive


def test_count_positive():
    assert count_positive([1, 2, 3]) == 3
    assert count_positive([0, 0, 0]) == 0
    assert count_positive([-1, 0, 1]) == 1
    assert count_positive([]) == 0
    assert count_positive([0.5, -0.5, 0]) == 1
