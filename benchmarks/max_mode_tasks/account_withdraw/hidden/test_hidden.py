import pytest

from bank import Account


def test_withdraw_decreases():
    acc = Account("ann", 100)
    acc.withdraw(30)
    assert acc.balance == 70
    acc.withdraw(70)
    assert acc.balance == 0


def test_overdraw_refused():
    acc = Account("bob", 10)
    with pytest.raises(ValueError):
        acc.withdraw(11)
    assert acc.balance == 10


def test_deposit_unchanged():
    acc = Account("eve")
    acc.deposit(5)
    assert acc.balance == 5
    with pytest.raises(ValueError):
        acc.deposit(0)
