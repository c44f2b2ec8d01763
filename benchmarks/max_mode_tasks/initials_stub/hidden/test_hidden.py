from naming import full_name, initials


def test_initials():
    assert initials("ada lovelace") == "AL"
    assert initials("Grace Brewster Hopper") == "GBH"
    assert initials("plato") == "P"
    assert initials("  alan   turing ") == "AT"


def test_full_name_unchanged():
    assert full_name("Ada", "Lovelace") == "Ada Lovelace"
