from fizz import fizzbuzz


def test_fizzbuzz_15():
    assert fizzbuzz(15) == "FizzBuzz"
