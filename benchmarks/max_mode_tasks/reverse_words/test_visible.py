from sentence import reverse_words


def test_reverse_words():
    assert reverse_words("red green blue") == "blue green red"
