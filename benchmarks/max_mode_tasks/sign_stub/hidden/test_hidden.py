from signum import sign


def test_sign():
    assert sign(5) == 1
    assert sign(0.001) == 1
    assert sign(-3) == -1
    assert sign(-0.5) == -1
    assert sign(0) == 0
    assert sign(0.0) == 0
