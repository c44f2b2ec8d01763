from bank import Account


def test_withdraw_decreases_balance():
    acc = Account("ann", 100)
    acc.withdraw(30)
    assert acc.balance == 70
