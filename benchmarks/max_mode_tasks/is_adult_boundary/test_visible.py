from people import is_adult


def test_is_adult():
    assert is_adult(18) is True
    assert is_adult(12) is False
