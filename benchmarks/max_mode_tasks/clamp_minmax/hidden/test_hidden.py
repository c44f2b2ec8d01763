from bounds import clamp


def test_inside():
    assert clamp(5, 0, 10) == 5
    assert clamp(0.5, 0, 1) == 0.5


def test_below():
    assert clamp(-3, 0, 10) == 0
    assert clamp(-100, -5, 5) == -5


def test_above():
    assert clamp(42, 0, 10) == 10
    assert clamp(7, 1, 6) == 6


def test_edges():
    assert clamp(0, 0, 10) == 0
    assert clamp(10, 0, 10) == 10
