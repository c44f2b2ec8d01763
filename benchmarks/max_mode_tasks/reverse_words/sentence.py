def reverse_words(text):
    """Return the words of text in reverse order, separated by single spaces."""
    words = text.split()
    return " ".join(words)
