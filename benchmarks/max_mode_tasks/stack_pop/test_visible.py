from stack import Stack


def test_pop_returns_most_recent():
    s = Stack()
    for x in (1, 2, 3):
        s.push(x)
    assert s.pop() == 3
