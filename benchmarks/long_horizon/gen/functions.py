"""Generate families/functions.json (and families/small_functions.json with --small or --all).

The `toolbox` package: 10 modules of 4 small pure functions each, every one a stub raising
NotImplementedError. Each module has a test script that runs all its tests or only the named ones
(`python3 tests/test_numbers.py gcd lcm`). A node implements one function; the fourth function of a
module also completes the module (its node depends on the other three and runs the whole test).
Cross-module calls (geometry -> stats, text -> stats, primes -> seqs) are dependencies too.
"""

from __future__ import annotations

import datetime
import sys
import textwrap

from common import (TEST_PRELUDE, cmd, contains, dedent, edit, family, finish, node, not_contains, read, run,
                    search, write, write_family)

PKG = "toolbox"
# the 10th of every month of 2023, as datetime sees it (written into the test as literals)
WEEKDAYS_2023 = [datetime.date(2023, month, 10).weekday() for month in range(1, 13)]


def fn(name, sig, doc, body, tests, uses=()):
    """uses: other functions this one calls, as 'module.name'."""
    return {"name": name, "sig": sig, "doc": doc, "body": dedent(body), "tests": dedent(tests), "uses": list(uses)}


MODULES = [
    ("numbers", "Integer helpers.", [], [
        fn("clamp", "x, lo, hi", "Return x limited to the closed range [lo, hi]; ValueError('lo must not exceed hi') if lo > hi.", """
            if lo > hi:
                raise ValueError("lo must not exceed hi")
            return max(lo, min(x, hi))
            """, """
            assert m.clamp(5, 0, 10) == 5
            assert m.clamp(-3, 0, 10) == 0
            assert m.clamp(11, 0, 10) == 10
            assert m.clamp(10, 0, 10) == 10
            assert m.clamp(0, 0, 10) == 0
            assert m.clamp(4, 4, 4) == 4
            raises("lo must not exceed hi", m.clamp, 1, 5, 2)
            """),
        fn("gcd", "a, b", "Greatest common divisor of |a| and |b|; gcd(0, 0) == 0.", """
            a, b = abs(a), abs(b)
            while b:
                a, b = b, a % b
            return a
            """, """
            assert m.gcd(12, 18) == 6
            assert m.gcd(-12, 18) == 6
            assert m.gcd(7, 0) == 7
            assert m.gcd(0, 7) == 7
            assert m.gcd(0, 0) == 0
            assert m.gcd(17, 5) == 1
            assert m.gcd(100, 75) == 25
            """),
        fn("lcm", "a, b", "Least common multiple (an int) of |a| and |b|; 0 if either is 0.", """
            g = gcd(a, b)
            return abs(a * b) // g if g else 0
            """, """
            assert m.lcm(4, 6) == 12
            assert type(m.lcm(4, 6)) is int
            assert m.lcm(0, 5) == 0
            assert m.lcm(-3, 5) == 15
            assert m.lcm(7, 7) == 7
            assert m.lcm(21, 6) == 42
            assert m.lcm(1, 9) == 9
            assert m.lcm(9, 1) == 9
            assert m.lcm(0, 0) == 0
            """, uses=["numbers.gcd"]),
        fn("digit_sum", "n", "Sum of the decimal digits of |n|.", """
            n = abs(n)
            total = 0
            while n:
                n, digit = divmod(n, 10)
                total += digit
            return total
            """, """
            assert m.digit_sum(0) == 0
            assert m.digit_sum(7) == 7
            assert m.digit_sum(1234) == 10
            assert m.digit_sum(-507) == 12
            assert m.digit_sum(99999) == 45
            assert m.digit_sum(1000) == 1
            """),
    ]),
    ("strings", "String helpers.", [], [
        fn("reverse_words", "s", "The whitespace-separated words of s in reverse order, joined by single spaces.", """
            return " ".join(reversed(s.split()))
            """, """
            assert m.reverse_words("hello big world") == "world big hello"
            assert m.reverse_words("  a  b ") == "b a"
            assert m.reverse_words("") == ""
            assert m.reverse_words("one") == "one"
            """),
        fn("is_palindrome", "s", "True if s reads the same backwards, ignoring case and non-alphanumerics.", """
            cleaned = [c.lower() for c in s if c.isalnum()]
            return cleaned == cleaned[::-1]
            """, """
            assert m.is_palindrome("A man, a plan, a canal: Panama") is True
            assert m.is_palindrome("No 'x' in Nixon") is True
            assert m.is_palindrome("aba") is True
            assert m.is_palindrome("") is True
            assert m.is_palindrome("abca") is False
            assert m.is_palindrome("ab") is False
            assert m.is_palindrome("abcdba") is False
            """),
        fn("count_vowels", "s", "Number of vowels (a, e, i, o, u, either case) in s.", """
            return sum(1 for c in s.lower() if c in "aeiou")
            """, """
            assert m.count_vowels("Hello World") == 3
            assert m.count_vowels("xyz") == 0
            assert m.count_vowels("AEIOUaeiou") == 10
            assert m.count_vowels("queue") == 4
            assert m.count_vowels("") == 0
            """),
        fn("slugify", "s", "Lowercase s, turn every run of non-alphanumerics into one '-', strip '-' at the ends.", """
            out = []
            for c in s.lower():
                if c.isalnum():
                    out.append(c)
                elif out and out[-1] != "-":
                    out.append("-")
            return "".join(out).strip("-")
            """, """
            assert m.slugify("Hello, World!") == "hello-world"
            assert m.slugify("  Multiple   spaces ") == "multiple-spaces"
            assert m.slugify("a--b") == "a-b"
            assert m.slugify("Python 3.11") == "python-3-11"
            assert m.slugify("") == ""
            assert m.slugify("--x--") == "x"
            """),
    ]),
    ("seqs", "Sequence helpers (they take and return lists).", [], [
        fn("chunk", "items, size", "Split items into lists of length size (the last may be shorter); ValueError('size must be at least 1') if size < 1.", """
            if size < 1:
                raise ValueError("size must be at least 1")
            return [list(items[i:i + size]) for i in range(0, len(items), size)]
            """, """
            assert m.chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
            assert m.chunk([], 3) == []
            assert m.chunk([1, 2, 3], 3) == [[1, 2, 3]]
            assert m.chunk([1, 2, 3], 1) == [[1], [2], [3]]
            assert m.chunk([1, 2, 3, 4], 3) == [[1, 2, 3], [4]]
            raises("size must be at least 1", m.chunk, [1], 0)
            raises("size must be at least 1", m.chunk, [1], -2)
            """),
        fn("flatten", "nested", "Flatten nested lists and tuples (any depth) into one list; strings stay whole.", """
            out = []
            for item in nested:
                if isinstance(item, (list, tuple)):
                    out.extend(flatten(item))
                else:
                    out.append(item)
            return out
            """, """
            assert m.flatten([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]
            assert m.flatten([]) == []
            assert m.flatten([[], [[]]]) == []
            assert m.flatten([(1, 2), [3]]) == [1, 2, 3]
            assert m.flatten(["ab", ["cd"]]) == ["ab", "cd"]
            """),
        fn("dedupe", "items", "items without repeats, keeping the first occurrence of each, in order.", """
            seen = set()
            out = []
            for item in items:
                if item not in seen:
                    seen.add(item)
                    out.append(item)
            return out
            """, """
            assert m.dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]
            assert m.dedupe([]) == []
            assert m.dedupe(["a", "A", "a"]) == ["a", "A"]
            assert m.dedupe([5, 5, 5]) == [5]
            """),
        fn("rotate", "items, k", "items rotated left by k places (k may be negative or larger than the length).", """
            if not items:
                return []
            k %= len(items)
            return list(items[k:]) + list(items[:k])
            """, """
            assert m.rotate([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
            assert m.rotate([1, 2, 3, 4, 5], -1) == [5, 1, 2, 3, 4]
            assert m.rotate([1, 2, 3, 4, 5], 7) == [3, 4, 5, 1, 2]
            assert m.rotate([1, 2, 3], 0) == [1, 2, 3]
            assert m.rotate([], 3) == []
            """),
    ]),
    ("stats", "Descriptive statistics over non-empty lists of numbers.", [], [
        fn("mean", "values", "Arithmetic mean; ValueError('mean of an empty list') for an empty list.", """
            if not values:
                raise ValueError("mean of an empty list")
            return sum(values) / len(values)
            """, """
            assert m.mean([1, 2, 3, 4]) == 2.5
            assert m.mean([5]) == 5
            assert m.mean([-1, 1]) == 0
            assert m.mean([10, 20, 60]) == 30
            raises("mean of an empty list", m.mean, [])
            """),
        fn("median", "values", "Middle value (the mean of the two middle values for an even count); ValueError('median of an empty list') if empty.", """
            if not values:
                raise ValueError("median of an empty list")
            ordered = sorted(values)
            mid = len(ordered) // 2
            if len(ordered) % 2:
                return ordered[mid]
            return (ordered[mid - 1] + ordered[mid]) / 2
            """, """
            assert m.median([3, 1, 2]) == 2
            assert m.median([4, 1, 3, 2]) == 2.5
            assert m.median([7]) == 7
            assert m.median([1, 1, 1, 10]) == 1.0
            assert m.median([9, 2, 7, 4, 5]) == 5
            raises("median of an empty list", m.median, [])
            """),
        fn("variance", "values", "Population variance: the mean squared deviation from the mean (the ValueError of mean() if empty).", """
            mu = mean(values)
            return sum((v - mu) ** 2 for v in values) / len(values)
            """, """
            assert m.variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4.0
            assert m.variance([1]) == 0.0
            assert m.variance([1, 2, 3, 4]) == 1.25
            assert m.variance([3, 3, 3]) == 0.0
            raises("mean of an empty list", m.variance, [])
            """, uses=["stats.mean"]),
        fn("mode", "values", "Most frequent value; the smallest one on a tie; ValueError('mode of an empty list') if empty.", """
            if not values:
                raise ValueError("mode of an empty list")
            best = max(values.count(v) for v in values)
            return min(v for v in values if values.count(v) == best)
            """, """
            assert m.mode([1, 2, 2, 3]) == 2
            assert m.mode([3, 3, 1, 1, 2]) == 1
            assert m.mode([5]) == 5
            assert m.mode([4, 4, 6, 6, 6]) == 6
            raises("mode of an empty list", m.mode, [])
            """),
    ]),
    ("dates", "Calendar arithmetic on the proleptic Gregorian calendar (no datetime objects).", [], [
        fn("is_leap_year", "year", "True for Gregorian leap years.", """
            return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            """, """
            assert m.is_leap_year(2000) is True
            assert m.is_leap_year(2400) is True
            assert m.is_leap_year(2024) is True
            assert m.is_leap_year(1900) is False
            assert m.is_leap_year(2100) is False
            assert m.is_leap_year(2023) is False
            """),
        fn("days_in_month", "year, month", "Number of days in month (1-12) of year; ValueError('month must be 1..12') for another month.", """
            if not 1 <= month <= 12:
                raise ValueError("month must be 1..12")
            if month == 2:
                return 29 if is_leap_year(year) else 28
            return 30 if month in (4, 6, 9, 11) else 31
            """, """
            assert [m.days_in_month(2023, month) for month in range(1, 13)] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            assert m.days_in_month(2023, 2) == 28
            assert m.days_in_month(2024, 2) == 29
            assert m.days_in_month(1900, 2) == 28
            assert m.days_in_month(2023, 4) == 30
            assert m.days_in_month(2023, 11) == 30
            assert m.days_in_month(2023, 12) == 31
            for bad in (0, 13):
                raises("month must be 1..12", m.days_in_month, 2023, bad)
            """, uses=["dates.is_leap_year"]),
        fn("day_of_year", "year, month, day", "1-based ordinal of the date within its year; ValueError('no such day') for an invalid day.", """
            if not 1 <= day <= days_in_month(year, month):
                raise ValueError("no such day")
            return sum(days_in_month(year, m) for m in range(1, month)) + day
            """, """
            assert m.day_of_year(2023, 1, 1) == 1
            assert m.day_of_year(2023, 2, 1) == 32
            assert m.day_of_year(2023, 3, 1) == 60
            assert m.day_of_year(2024, 3, 1) == 61
            assert m.day_of_year(2023, 12, 31) == 365
            assert m.day_of_year(2024, 12, 31) == 366
            for bad in ((2023, 2, 29), (2023, 4, 0), (2023, 4, 31)):
                raises("no such day", m.day_of_year, *bad)
            raises("month must be 1..12", m.day_of_year, 2023, 13, 1)
            """, uses=["dates.days_in_month"]),
        fn("weekday", "year, month, day", "Day of the week, 0 = Monday ... 6 = Sunday.", """
            offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
            if month < 3:
                year -= 1
            sunday_based = (year + year // 4 - year // 100 + year // 400 + offsets[month - 1] + day) % 7
            return (sunday_based + 6) % 7
            """, """
            assert m.weekday(2024, 1, 1) == 0
            assert m.weekday(2000, 1, 1) == 5
            assert m.weekday(1970, 1, 1) == 3
            assert m.weekday(2023, 12, 24) == 6
            assert m.weekday(2024, 2, 29) == 3
            assert m.weekday(2024, 3, 1) == 4
            assert m.weekday(1900, 3, 1) == 3
            assert m.weekday(2021, 6, 15) == 1
            assert m.weekday(2000, 3, 1) == 2
            assert [m.weekday(2023, month, 10) for month in range(1, 13)] == """ + repr(WEEKDAYS_2023) + """
            """),
    ]),
    ("geometry", "Plane geometry on points given as (x, y) tuples.", ["import math", "", "from toolbox.stats import mean"], [
        fn("distance", "p, q", "Euclidean distance between points p and q.", """
            return math.hypot(q[0] - p[0], q[1] - p[1])
            """, """
            assert m.distance((0, 0), (3, 4)) == 5.0
            assert m.distance((1, 1), (1, 1)) == 0.0
            assert m.distance((1, 1), (4, 5)) == 5.0
            assert m.distance((-1, -1), (2, 3)) == 5.0
            assert abs(m.distance((0, 0), (1, 1)) - 1.4142135623730951) < 1e-12
            """),
        fn("polygon_area", "points", "Area of the simple polygon with these vertices (either orientation); 0.0 below 3 points.", """
            if len(points) < 3:
                return 0.0
            twice = sum(points[i - 1][0] * y - x * points[i - 1][1] for i, (x, y) in enumerate(points))
            return abs(twice) / 2
            """, """
            assert m.polygon_area([(0, 0), (1, 0), (1, 1), (0, 1)]) == 1.0
            assert m.polygon_area([(0, 0), (4, 0), (4, 3)]) == 6.0
            assert m.polygon_area([(4, 3), (4, 0), (0, 0)]) == 6.0
            assert m.polygon_area([(0, 0), (2, 0), (2, 2), (0, 2)]) == 4.0
            assert m.polygon_area([(1, 1), (5, 1), (5, 4), (3, 6), (1, 4)]) == 16.0
            assert m.polygon_area([(0, 0), (1, 1)]) == 0.0
            """),
        fn("perimeter", "points", "Length (a float) of the closed path through the points and back to the first; 0.0 below 2 points.", """
            return float(sum(distance(points[i - 1], p) for i, p in enumerate(points)))
            """, """
            assert m.perimeter([(0, 0), (3, 0), (3, 4)]) == 12.0
            assert m.perimeter([(0, 0), (2, 0), (2, 2), (0, 2)]) == 8.0
            assert m.perimeter([(0, 0), (0, 5)]) == 10.0
            assert m.perimeter([(1, 1)]) == 0.0
            assert m.perimeter([]) == 0.0 and type(m.perimeter([])) is float
            """, uses=["geometry.distance"]),
        fn("centroid", "points", "(mean x, mean y) of the vertices; the ValueError of stats.mean() for no points.", """
            return (mean([p[0] for p in points]), mean([p[1] for p in points]))
            """, """
            assert m.centroid([(0, 0), (2, 0), (2, 2), (0, 2)]) == (1.0, 1.0)
            assert m.centroid([(0, 0), (3, 0), (0, 6)]) == (1.0, 2.0)
            assert m.centroid([(1, 2)]) == (1.0, 2.0)
            assert m.centroid([(-4, 1), (2, 5)]) == (-1.0, 3.0)
            raises("mean of an empty list", m.centroid, [])
            """, uses=["stats.mean"]),
    ]),
    ("encoding", "Small text encodings.", ["import re"], [
        fn("caesar", "text, shift", "Shift ASCII letters by shift places (mod 26), keeping case; other characters unchanged.", """
            out = []
            for c in text:
                if c.isascii() and c.isalpha():
                    base = ord("a") if c.islower() else ord("A")
                    out.append(chr((ord(c) - base + shift) % 26 + base))
                else:
                    out.append(c)
            return "".join(out)
            """, """
            assert m.caesar("abc", 1) == "bcd"
            assert m.caesar("xyz", 3) == "abc"
            assert m.caesar("Hello, World!", 13) == "Uryyb, Jbeyq!"
            assert m.caesar("abc", -1) == "zab"
            assert m.caesar("abc", 26) == "abc"
            assert m.caesar("ABZ", 27) == "BCA"
            assert m.caesar("", 5) == ""
            assert m.caesar("é ü!", 3) == "é ü!"
            """),
        fn("rle_encode", "s", "Run-length encoding: each run as its length then the character ('aaab' -> '3a1b').", """
            out = []
            i = 0
            while i < len(s):
                j = i
                while j < len(s) and s[j] == s[i]:
                    j += 1
                out.append(f"{j - i}{s[i]}")
                i = j
            return "".join(out)
            """, """
            assert m.rle_encode("aaabcc") == "3a1b2c"
            assert m.rle_encode("abc") == "1a1b1c"
            assert m.rle_encode("") == ""
            assert m.rle_encode("z" * 12) == "12z"
            assert m.rle_encode("aab") == "2a1b"
            assert m.rle_encode("abb") == "1a2b"
            """),
        fn("rle_decode", "s", "Inverse of rle_encode (counts may have several digits).", """
            return "".join(ch * int(count) for count, ch in re.findall(r"(\\d+)(\\D)", s))
            """, """
            assert m.rle_decode("3a1b2c") == "aaabcc"
            assert m.rle_decode("12z") == "z" * 12
            assert m.rle_decode("10x2y") == "x" * 10 + "yy"
            assert m.rle_decode("") == ""
            for text in ("hello", "aaaaaaaaaaaaab", "mississippi", "q"):
                assert m.rle_decode(m.rle_encode(text)) == text
            """, uses=["encoding.rle_encode"]),
        fn("to_base", "n, base", "n written in base 2..36 with digits 0-9a-z and a leading '-' if negative; ValueError('base must be 2..36') for another base.", """
            if not 2 <= base <= 36:
                raise ValueError("base must be 2..36")
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"
            out = digits[abs(n) % base]
            rest = abs(n) // base
            while rest:
                rest, r = divmod(rest, base)
                out = digits[r] + out
            return "-" + out if n < 0 else out
            """, """
            assert m.to_base(255, 16) == "ff"
            assert m.to_base(0, 2) == "0"
            assert m.to_base(5, 2) == "101"
            assert m.to_base(-10, 3) == "-101"
            assert m.to_base(35, 36) == "z"
            assert m.to_base(36, 36) == "10"
            assert m.to_base(100, 10) == "100"
            assert m.to_base(10, 16) == "a"
            assert m.to_base(-255, 16) == "-ff"
            for bad in (1, 37):
                raises("base must be 2..36", m.to_base, 5, bad)
            """),
    ]),
    ("matrix", "Matrices as lists of row lists.", [], [
        fn("transpose", "m", "Rows become columns; transpose([]) == [].", """
            return [list(row) for row in zip(*m)]
            """, """
            assert m.transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
            assert m.transpose([[1]]) == [[1]]
            assert m.transpose([[1, 2]]) == [[1], [2]]
            assert m.transpose([]) == []
            """),
        fn("identity", "n", "The n x n identity matrix (identity(0) == []).", """
            return [[1 if i == j else 0 for j in range(n)] for i in range(n)]
            """, """
            assert m.identity(0) == []
            assert m.identity(1) == [[1]]
            assert m.identity(3) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
            """),
        fn("mat_mul", "a, b", "Matrix product a x b; ValueError('shapes do not match') if the column count of a differs from the row count of b.", """
            if len(a[0]) != len(b):
                raise ValueError("shapes do not match")
            return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]
            """, """
            assert m.mat_mul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
            assert m.mat_mul([[1, 2, 3], [4, 5, 6]], [[1], [0], [2]]) == [[7], [16]]
            assert m.mat_mul([[2, 3]], [[4], [5]]) == [[23]]
            assert m.mat_mul([[1], [2]], [[3, 4]]) == [[3, 4], [6, 8]]
            a = [[2, -1, 0], [1, 3, 4], [0, 5, -2]]
            assert m.mat_mul(a, m.identity(3)) == a
            raises("shapes do not match", m.mat_mul, [[1, 2]], [[1, 2]])
            """, uses=["matrix.identity"]),
        fn("mat_pow", "m, k", "Square matrix m to the power k >= 0 (k == 0 gives the identity); ValueError('k must be >= 0') if k < 0.", """
            if k < 0:
                raise ValueError("k must be >= 0")
            result = identity(len(m))
            for _ in range(k):
                result = mat_mul(result, m)
            return result
            """, """
            assert m.mat_pow([[1, 1], [1, 0]], 10) == [[89, 55], [55, 34]]
            assert m.mat_pow([[1, 1], [1, 0]], 1) == [[1, 1], [1, 0]]
            assert m.mat_pow([[5, 7], [2, 3]], 0) == [[1, 0], [0, 1]]
            assert m.mat_pow([[2, 0], [0, 3]], 3) == [[8, 0], [0, 27]]
            raises("k must be >= 0", m.mat_pow, [[1]], -1)
            """, uses=["matrix.mat_mul", "matrix.identity"]),
    ]),
    ("text", "Word statistics for English text (a word is a run of ASCII letters, compared lowercased).",
     ["import re", "", "from toolbox.stats import mean"], [
        fn("word_freq", "text", "dict of lowercased word -> number of occurrences.", """
            counts = {}
            for word in re.findall(r"[a-z]+", text.lower()):
                counts[word] = counts.get(word, 0) + 1
            return counts
            """, """
            assert m.word_freq("The cat and the hat.") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
            assert m.word_freq("") == {}
            assert m.word_freq("Go, go, GO!") == {"go": 3}
            assert m.word_freq("it's 42 cats") == {"it": 1, "s": 1, "cats": 1}
            """),
        fn("top_words", "text, n", "The n most frequent (word, count) pairs, by count descending then word ascending.", """
            ranked = sorted(word_freq(text).items(), key=lambda item: (-item[1], item[0]))
            return ranked[:n]
            """, """
            assert m.top_words("b a b c a b", 2) == [("b", 3), ("a", 2)]
            assert m.top_words("x y z y x", 3) == [("x", 2), ("y", 2), ("z", 1)]
            assert m.top_words("x y z y x", 0) == []
            assert m.top_words("b a b a c", 2) == [("a", 2), ("b", 2)]
            assert m.top_words("one two", 5) == [("one", 1), ("two", 1)]
            """, uses=["text.word_freq"]),
        fn("avg_word_length", "text", "Mean length of the words of text; 0.0 if there are none.", """
            words = re.findall(r"[a-z]+", text.lower())
            if not words:
                return 0.0
            return mean([len(w) for w in words])
            """, """
            assert abs(m.avg_word_length("I am here") - 7 / 3) < 1e-12
            assert m.avg_word_length("hello") == 5.0
            assert m.avg_word_length("a bb ccc") == 2.0
            assert m.avg_word_length("") == 0.0
            assert m.avg_word_length("... 123 !") == 0.0
            """, uses=["stats.mean"]),
        fn("sentence_count", "text", "Number of sentences: non-blank pieces of text separated by runs of '.', '!' or '?'.", """
            return sum(1 for part in re.split(r"[.!?]+", text) if part and not part.isspace())
            """, """
            assert m.sentence_count("Hi. How are you? Fine!") == 3
            assert m.sentence_count("") == 0
            assert m.sentence_count("Wait... what?!") == 2
            assert m.sentence_count("no end") == 1
            assert m.sentence_count("One. two") == 2
            assert m.sentence_count(" . ! ") == 0
            """),
    ]),
    ("primes", "Prime numbers.", ["import math", "", "from toolbox.seqs import dedupe"], [
        fn("is_prime", "n", "True if n is a prime number.", """
            if n < 2:
                return False
            return all(n % d for d in range(2, math.isqrt(n) + 1))
            """, """
            for n in (2, 3, 5, 97, 7919):
                assert m.is_prime(n) is True, n
            for n in (-7, 0, 1, 4, 9, 25, 91, 7917):
                assert m.is_prime(n) is False, n
            """),
        fn("primes_up_to", "n", "All primes <= n, ascending.", """
            return [k for k in range(2, n + 1) if is_prime(k)]
            """, """
            assert m.primes_up_to(10) == [2, 3, 5, 7]
            assert m.primes_up_to(11) == [2, 3, 5, 7, 11]
            assert m.primes_up_to(2) == [2]
            assert m.primes_up_to(1) == []
            assert m.primes_up_to(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
            assert len(m.primes_up_to(100)) == 25
            assert m.primes_up_to(49)[-1] == 47
            """, uses=["primes.is_prime"]),
        fn("prime_factors", "n", "Prime factors of n in ascending order, with multiplicity; [] for n < 2.", """
            factors = []
            p = 2
            while n > 1:
                if n % p:
                    p += 1
                else:
                    factors.append(p)
                    n //= p
            return factors
            """, """
            assert m.prime_factors(12) == [2, 2, 3]
            assert m.prime_factors(97) == [97]
            assert m.prime_factors(1) == []
            assert m.prime_factors(2) == [2]
            assert m.prime_factors(49) == [7, 7]
            assert m.prime_factors(360) == [2, 2, 2, 3, 3, 5]
            assert m.prime_factors(30030) == [2, 3, 5, 7, 11, 13]
            assert m.prime_factors(8) == [2, 2, 2]
            assert m.prime_factors(2 * 3 ** 34) == [2] + [3] * 34
            """),
        fn("totient", "n", "Euler's totient (an int): how many of 1..n are coprime to n; ValueError('n must be >= 1') if n < 1.", """
            if n < 1:
                raise ValueError("n must be >= 1")
            result = n
            for p in dedupe(prime_factors(n)):
                result -= result // p
            return result
            """, """
            assert m.totient(1) == 1
            assert m.totient(9) == 6
            assert m.totient(10) == 4
            assert m.totient(36) == 12
            assert m.totient(97) == 96
            assert m.totient(100) == 40
            assert type(m.totient(10)) is int
            raises("n must be >= 1", m.totient, 0)
            """, uses=["primes.prime_factors", "seqs.dedupe"]),
    ]),
]


RAISES = dedent('''

    def raises(message, fn, *args):
        """fn(*args) must raise ValueError(message)."""
        try:
            fn(*args)
        except ValueError as exc:
            assert str(exc) == message, f"{fn.__name__}{args}: ValueError({str(exc)!r}), expected {message!r}"
        else:
            raise AssertionError(f"{fn.__name__}{args} must raise ValueError({message!r})")
    ''')


def stub_marker(name):
    return f"    raise NotImplementedError  # {name}"


def module_source(mod, doc, imports, fns):
    parts = [f'"""{PKG}.{mod}: {doc}"""\n']
    if imports:
        parts.append("\n".join(imports) + "\n")
    for f in fns:
        parts.append(f'\ndef {f["name"]}({f["sig"]}):\n    """{f["doc"]}"""\n{stub_marker(f["name"])}\n')
    return "\n".join(parts)


def test_source(mod, fns):
    out = [f'"""Tests for {PKG}.{mod}. Usage: python3 tests/test_{mod}.py [FUNCTION ...] (no name: all)."""\n',
           TEST_PRELUDE, f"from {PKG} import {mod} as m\n", RAISES]
    for f in fns:
        out.append(f"\ndef test_{f['name']}():\n{textwrap.indent(f['tests'], '    ')}")
    names = ", ".join(f'"{f["name"]}": test_{f["name"]}' for f in fns)
    out.append(f"\nTESTS = {{{names}}}\n")
    out.append(dedent('''

        def main(names):
            unknown = [n for n in names if n not in TESTS]
            if unknown:
                sys.exit(f"unknown test(s): {unknown}")
            for name in names or TESTS:
                TESTS[name]()
            print(f"ok: {len(names or TESTS)} test(s)")


        if __name__ == "__main__":
            main(sys.argv[1:])
        '''))
    return "\n".join(out)


RUN_ALL = dedent('''
    """Run every tests/test_*.py in its own process; exit 1 if any fails."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    failed = []
    scripts = sorted(here.glob("test_*.py"))
    for script in scripts:
        proc = subprocess.run([sys.executable, "-B", str(script)], capture_output=True, text=True)
        status = "ok" if proc.returncode == 0 else "FAIL"
        print(f"{status:4} {script.name}")
        if proc.returncode != 0:
            failed.append(script.name)
            print((proc.stdout + proc.stderr).strip())
    print(f"{len(scripts) - len(failed)}/{len(scripts)} test scripts passed")
    sys.exit(1 if failed or not scripts else 0)
    ''')


def package_test(modules):
    names = sorted(f["name"] for _, _, _, fns in modules for f in fns)
    checks = "\n".join(f"    assert getattr(toolbox, {n!r}) is getattr({mod}, {n!r})"
                       for mod, _, _, fns in modules for n in (f["name"] for f in fns))
    mods = ", ".join(m for m, _, _, _ in modules)
    return (f'"""The package exports every public function at the top level, with a sorted __all__."""\n\n'
            f"{TEST_PRELUDE}\nimport {PKG}\nfrom {PKG} import {mods}\n\nEXPECTED = {names!r}\n\n\n"
            f"def main():\n    assert sorted({PKG}.__all__) == EXPECTED, sorted({PKG}.__all__)\n"
            f"    assert list({PKG}.__all__) == sorted({PKG}.__all__), \"__all__ must be sorted\"\n"
            f"    assert {PKG}.__version__ == \"1.0.0\", {PKG}.__version__\n{checks}\n"
            f"    print(\"ok: {len(names)} exports\")\n\n\nif __name__ == \"__main__\":\n    main()\n")


def init_source(modules):
    lines = [f'"""{PKG}: small pure helper functions, grouped by topic."""\n']
    names = []
    for mod, _, _, fns in modules:
        fnames = [f["name"] for f in fns]
        names += fnames
        lines.append(f"from {PKG}.{mod} import {', '.join(fnames)}")
    lines.append('\n__version__ = "1.0.0"')
    body = "".join(f'    "{n}",\n' for n in sorted(names))
    lines.append(f"__all__ = [\n{body}]\n")
    return "\n".join(lines)


def build(modules, name, small=False):
    files = {f"{PKG}/__init__.py": f'"""{PKG}: small pure helper functions, grouped by topic."""\n',
             "tests/run_all.py": RUN_ALL}
    if not small:
        files["tests/test_package.py"] = package_test(modules)
    owner = {}  # 'module.fn' -> node id
    for mod, doc, imports, fns in modules:
        files[f"{PKG}/{mod}.py"] = module_source(mod, doc, imports, fns)
        files[f"tests/test_{mod}.py"] = test_source(mod, fns)
    nodes = []
    for mi, (mod, doc, imports, fns) in enumerate(modules, start=1):
        path, test = f"{PKG}/{mod}.py", f"tests/test_{mod}.py"
        mod_ids = []
        for fi, f in enumerate(fns, start=1):
            nid = f"{mod}.{f['name']}"
            last = fi == len(fns)
            deps = sorted({owner[u] for u in f["uses"]} | (set(mod_ids) if last else set()),
                          key=lambda d: [n["id"] for n in nodes].index(d))
            steps = [read(path)]
            if fi == 1:
                steps.append(read(test))
            for u in f["uses"]:
                umod, uname = u.split(".")
                if umod != mod:
                    steps += [search(f"def {uname}"), read(f"{PKG}/{umod}.py")]
            body = textwrap.indent(f["body"], "    ").rstrip("\n")
            steps.append(edit(path, stub_marker(f["name"]), body))
            steps.append(run(f"python3 {test} {f['name']}"))
            checks = [cmd(f"python3 {test} {f['name']}"), contains(path, f"def {f['name']}("),
                      not_contains(path, f"NotImplementedError  # {f['name']}")]
            title = f"Implement {PKG}.{mod}.{f['name']}"
            expected = f"{test} {f['name']} passes"
            if last:
                steps.append(run(f"python3 {test}"))
                checks.append(cmd(f"python3 {test}"))
                title += f" and complete {PKG}.{mod}"
                expected = f"{test} passes (all of {PKG}.{mod})"
            steps.append(finish(f"implemented {mod}.{f['name']}" + (f"; all of {mod} passes" if last else "")))
            nodes.append(node(nid, title, deps, expected, [path], checks, steps))
            owner[f"{mod}.{f['name']}"] = nid
            mod_ids.append(nid)
    init = f"{PKG}/__init__.py"
    if small:  # one module, no package-level export step
        mods = ", ".join(f"{PKG}/{m}.py" for m, _, _, _ in modules)
        goal = {"commands": ["python3 tests/run_all.py"],
                "files": [not_contains(f"{PKG}/{m}.py", "NotImplementedError") for m, _, _, _ in modules]}
        return family(
            name,
            f"CI-sized: implement the {sum(len(f) for *_, f in modules)} stub functions of {mods} guided by its test script.",
            (f"The functions in {mods} raise NotImplementedError. Implement each as its docstring describes "
             "(tests/test_numbers.py shows the expected behaviour). Do not change the tests. "
             "Done when `python3 tests/run_all.py` passes."),
            files, goal, nodes)
    nodes.append(node(
        "package.exports", f"Export every function from {init} with __all__ and __version__",
        [f"{mod}.{fns[-1]['name']}" for mod, _, _, fns in modules],
        "tests/test_package.py and tests/run_all.py pass", [init],
        [cmd("python3 tests/test_package.py"), contains(init, "__all__")],
        [read(init), read("tests/test_package.py"), write(init, init_source(modules)),
         run("python3 tests/test_package.py"), run("python3 tests/run_all.py"),
         finish("exported all functions; the whole suite passes")]))
    mods = ", ".join(f"{PKG}/{m}.py" for m, _, _, _ in modules)
    goal = {
        "commands": ["python3 tests/run_all.py"],
        "files": [not_contains(f"{PKG}/{m}.py", "NotImplementedError") for m, _, _, _ in modules]
                 + [contains(init, "__all__")],
        "criterion": "Every stub is implemented as its docstring says, the package exports all functions, "
                     "and the whole test suite passes without the tests being changed.",
    }
    count = sum(len(fns) for _, _, _, fns in modules)
    return family(
        name,
        (f"Implement {count} small pure functions across {len(modules)} modules of the `{PKG}` package ({mods}), "
         "each a stub raising NotImplementedError, guided by per-module test scripts. Exercises many "
         "independent edits with a few cross-module dependencies, running targeted tests, and a final "
         "package-level export step."),
        (f"The `{PKG}` package has stub functions that raise NotImplementedError. Implement every one as "
         "its docstring describes (tests/test_<module>.py shows the expected behaviour; "
         "`python3 tests/test_<module>.py NAME` runs one function's test). Then export every function from "
         f"{init} with a sorted `__all__` and `__version__ = \"1.0.0\"` so that tests/test_package.py passes. "
         "Do not change the tests. Done when `python3 tests/run_all.py` passes."),
        files, goal, nodes)


def main(argv):
    which = argv[0] if argv else "--all"
    if which in ("--all", "--big"):
        write_family(build(MODULES, "functions"), "functions.json")
    if which in ("--all", "--small"):
        small = [m for m in MODULES if m[0] == "numbers"]
        write_family(build(small, "small-functions", small=True), "small_functions.json")


if __name__ == "__main__":
    main(sys.argv[1:])
