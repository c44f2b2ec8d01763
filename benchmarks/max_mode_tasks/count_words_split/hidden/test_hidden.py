from wordcount import count_words


def test_simple():
    assert count_words("one two three") == 3
    assert count_words("word") == 1


def test_whitespace():
    assert count_words("") == 0
    assert count_words("   ") == 0
    assert count_words("a  b   c") == 3
    assert count_words("  leading and trailing  ") == 3
    assert count_words("tab\tand\nnewline") == 3
