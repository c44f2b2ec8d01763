import pytest

from stack import Stack


def test_lifo():
    s = Stack()
    for x in (1, 2, 3):
        s.push(x)
    assert s.pop() == 3
    assert s.pop() == 2
    s.push(9)
    assert s.pop() == 9
    assert s.pop() == 1
    assert len(s) == 0


def test_empty_pop_raises():
    with pytest.raises(IndexError):
        Stack().pop()
