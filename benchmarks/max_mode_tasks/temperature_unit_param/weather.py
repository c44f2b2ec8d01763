def format_temp(value):
    """Return the temperature as text, e.g. '21.5 C'."""
    return f"{value:.1f} C"
