from averages import average


def test_empty_list():
    assert average([]) == 0.0


def test_values():
    assert average([2, 4]) == 3
