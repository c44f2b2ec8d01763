def greet(name, greeting="Helo"):
    """Return a greeting such as 'Hello, Ann!'."""
    return f"{greeting}, {name}!"
