from freq import word_freq


def test_word_freq():
    assert word_freq(["x", "y", "x", "x"]) == {"x": 3, "y": 1}
