def shout(text):
    """Return text in upper case followed by an exclamation mark."""
    return text.upper() + "!"


def whisper(text):
    """Return text in lower case followed by three dots."""
    return text.lower() + "..."
