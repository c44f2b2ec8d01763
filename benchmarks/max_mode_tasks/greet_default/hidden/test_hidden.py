from greetings import greet


def test_default():
    assert greet("Ann") == "Hello, Ann!"
    assert greet("Bob") == "Hello, Bob!"


def test_custom_greeting():
    assert greet("Bob", "Hi") == "Hi, Bob!"
    assert greet("Eve", greeting="Good morning") == "Good morning, Eve!"
