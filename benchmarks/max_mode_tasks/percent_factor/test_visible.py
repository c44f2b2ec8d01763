from ratio import percent


def test_percent():
    assert percent(3, 4) == 75
