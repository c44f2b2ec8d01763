def is_palindrome(text):
    """Return True if text reads the same backwards, ignoring upper/lower case."""
    text = text.lower()
    return text == text[::-1]
