def sort_names(names):
    """Return a new list with the names sorted alphabetically."""
    return sorted(names)
