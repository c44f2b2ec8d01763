from vowels import count_vowels


def test_lowercase():
    assert count_vowels("banana") == 3
    assert count_vowels("rhythm") == 0
    assert count_vowels("") == 0


def test_uppercase_and_mixed():
    assert count_vowels("APPLE") == 2
    assert count_vowels("Umbrella") == 3
    assert count_vowels("AEIOUaeiou") == 10
    assert count_vowels("XYZ") == 0
