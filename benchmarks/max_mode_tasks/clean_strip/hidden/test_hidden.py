from cleaning import clean


def test_clean():
    assert clean("  hi  ") == "hi"
    assert clean("hi\n") == "hi"
    assert clean("\t a b \t") == "a b"
    assert clean("") == ""
    assert clean("x") == "x"
