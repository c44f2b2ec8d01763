from fib import fib


def test_fib_2():
    assert fib(2) == 1
