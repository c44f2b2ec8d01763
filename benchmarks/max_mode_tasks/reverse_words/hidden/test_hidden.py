from sentence import reverse_words


def test_reverse():
    assert reverse_words("one two three") == "three two one"
    assert reverse_words("hello world") == "world hello"


def test_edge_cases():
    assert reverse_words("single") == "single"
    assert reverse_words("") == ""
    assert reverse_words("  a   b  ") == "b a"
