from vowels import count_vowels


def test_capitals():
    assert count_vowels("APPLE") == 2
