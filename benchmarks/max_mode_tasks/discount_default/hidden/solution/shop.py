def apply_discount(price, rate=0.1):
    """Return price reduced by rate, a fraction between 0 and 1 (0.1 means 10%)."""
    return price * (1 - rate)
