from text_utils import shout, whisper


def test_shout():
    assert shout("hello") == "HELLO!"
    assert shout("Hi There") == "HI THERE!"
    assert shout("") == "!"


def test_whisper_unchanged():
    assert whisper("Quiet") == "quiet..."
