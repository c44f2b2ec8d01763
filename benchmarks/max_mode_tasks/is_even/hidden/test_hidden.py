from parity import is_even, is_odd


def test_even_numbers():
    for n in (0, 2, 4, 100, -2, -8):
        assert is_even(n) is True, n


def test_odd_numbers():
    for n in (1, 3, 7, 99, -1, -5):
        assert is_even(n) is False, n


def test_is_odd_unchanged():
    assert is_odd(3) and not is_odd(4) and is_odd(-3)
