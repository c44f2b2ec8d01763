from calc import add, multiply


def test_add_ints():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0
    assert add(0, 0) == 0
    assert add(-4, -6) == -10


def test_add_is_not_commutative_by_accident():
    assert add(10, 3) == 13
    assert add(3, 10) == 13


def test_add_floats_and_strings():
    assert add(2.5, 0.5) == 3.0
    assert add("ab", "cd") == "abcd"


def test_multiply_unchanged():
    assert multiply(4, 5) == 20
    assert multiply(-2, 3) == -6
