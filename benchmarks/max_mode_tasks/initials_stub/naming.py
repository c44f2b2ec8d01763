def full_name(first, last):
    """Return 'First Last'."""
    return f"{first} {last}"


def initials(name):
    """Return the upper-case initials of a name: initials('ada lovelace') == 'AL'."""
    raise NotImplementedError
