def greet(name, greeting="Hello"):
    """Return a greeting such as 'Hello, Ann!'."""
    return f"{greeting}, {name}!"
