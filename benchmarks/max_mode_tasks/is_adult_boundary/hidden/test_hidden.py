from people import is_adult


def test_boundary():
    assert is_adult(18) is True
    assert is_adult(17) is False


def test_others():
    assert is_adult(0) is False
    assert is_adult(30) is True
    assert is_adult(19) is True
