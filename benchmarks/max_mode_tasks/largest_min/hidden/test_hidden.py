from lists import largest, smallest


def test_largest():
    assert largest([3, 9, 2]) == 9
    assert largest([-5, -1, -7]) == -1
    assert largest([4]) == 4
    assert largest(["pear", "apple", "zoo"]) == "zoo"


def test_smallest_unchanged():
    assert smallest([3, 9, 2]) == 2
