from seq import last


def test_last():
    assert last([4, 5, 6]) == 6
