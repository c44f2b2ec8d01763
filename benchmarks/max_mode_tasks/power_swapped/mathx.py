def power(base, exponent):
    """Return base raised to the power exponent."""
    return exponent ** base
