from fib import fib


def test_fib():
    expected = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55]
    assert [fib(i) for i in range(11)] == expected
    assert fib(30) == 832040


def test_still_cached():
    assert hasattr(fib, "cache_info")
