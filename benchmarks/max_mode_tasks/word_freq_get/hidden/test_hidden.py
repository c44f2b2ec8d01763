from freq import word_freq


def test_word_freq():
    assert word_freq(["a", "b", "a"]) == {"a": 2, "b": 1}
    assert word_freq([]) == {}
    assert word_freq(["x"]) == {"x": 1}
    assert word_freq(["z", "z", "z"]) == {"z": 3}
