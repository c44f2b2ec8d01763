def is_even(n):
    """Return True if the integer n is even."""
    return n % 2 == 0


def is_odd(n):
    """Return True if the integer n is odd."""
    return n % 2 != 0
