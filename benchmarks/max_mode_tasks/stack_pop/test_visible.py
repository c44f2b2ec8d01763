from stack import Stack


def test_pop_returns_most_recent():
    s = Stack()
    s.push("a")
    s.push("b")
    assert s.pop() == "b"
