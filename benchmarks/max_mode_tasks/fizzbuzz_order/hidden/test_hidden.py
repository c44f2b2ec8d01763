from fizz import fizzbuzz


def test_fizzbuzz():
    assert fizzbuzz(15) == "FizzBuzz"
    assert fizzbuzz(30) == "FizzBuzz"
    assert fizzbuzz(45) == "FizzBuzz"


def test_others():
    assert fizzbuzz(3) == "Fizz"
    assert fizzbuzz(9) == "Fizz"
    assert fizzbuzz(5) == "Buzz"
    assert fizzbuzz(20) == "Buzz"
    assert fizzbuzz(7) == "7"
    assert fizzbuzz(1) == "1"
