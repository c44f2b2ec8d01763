from strings import repeat


def test_default_unchanged():
    assert repeat("ab", 3) == "ababab"
    assert repeat("x", 0) == ""


def test_separator():
    assert repeat("ab", 3, sep="-") == "ab-ab-ab"
    assert repeat("ab", 3, "-") == "ab-ab-ab"
    assert repeat("x", 1, sep=", ") == "x"
    assert repeat("x", 0, sep="-") == ""
    assert repeat("o", 2, sep=" ") == "o o"
