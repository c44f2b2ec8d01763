from signum import sign


def test_sign():
    assert sign(7) == 1
    assert sign(-2) == -1
