from words import normalize


def test_normalize():
    assert normalize("  Hello ") == "hello"
    assert normalize("WORLD") == "world"
    assert normalize("already") == "already"
    assert normalize("\tMixed Case\n") == "mixed case"
    assert normalize("") == ""
