from palindrome import is_palindrome


def test_ignores_case():
    assert is_palindrome("Racecar") is True
