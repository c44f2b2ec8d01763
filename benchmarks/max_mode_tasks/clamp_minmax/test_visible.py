from bounds import clamp


def test_clamp():
    assert clamp(3, 0, 10) == 3
    assert clamp(15, 0, 10) == 10
