def sign(x):
    """Return -1 if x is negative, 1 if it is positive and 0 if it is zero."""
    pass
