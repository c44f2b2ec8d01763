from wordcount import count_words


def test_count_words():
    assert count_words("hello  world") == 2
    assert count_words("") == 0
