from averages import average


def test_empty():
    assert average([]) == 0.0


def test_values():
    assert average([1, 2, 3]) == 2
    assert average([5]) == 5
    assert average([-1, 1]) == 0
    assert average([1, 2]) == 1.5
