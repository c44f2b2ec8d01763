from seq import first, last


def test_last():
    assert last([1, 2, 3]) == 3
    assert last(["only"]) == "only"
    assert last("abc") == "c"
    assert last([None, 0]) == 0


def test_first_unchanged():
    assert first([1, 2, 3]) == 1
