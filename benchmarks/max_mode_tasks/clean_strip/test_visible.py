from cleaning import clean


def test_both_ends():
    assert clean("  hello  ") == "hello"
