from palindrome import is_palindrome


def test_case_insensitive():
    assert is_palindrome("Racecar") is True
    assert is_palindrome("Noon") is True
    assert is_palindrome("AbBa") is True


def test_plain():
    assert is_palindrome("level") is True
    assert is_palindrome("") is True
    assert is_palindrome("hello") is False
    assert is_palindrome("Ab") is False
