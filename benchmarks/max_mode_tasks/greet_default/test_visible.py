from greetings import greet


def test_default_greeting():
    assert greet("Ann") == "Hello, Ann!"
