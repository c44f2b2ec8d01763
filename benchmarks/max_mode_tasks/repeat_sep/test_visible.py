from strings import repeat


def test_sep():
    assert repeat("ha", 3, sep=" ") == "ha ha ha"
    assert repeat("ab", 2) == "abab"
