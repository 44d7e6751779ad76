#!/usr/bin/env python3
"""A fixed query log for bench/search.sh, drawn from a corpus CSV's titles.

    search_queries.py CORPUS.csv[.gz] [PER_CLASS] > queries.tsv

Writes lines CLASS<TAB>QUERY (the format of `souk eval speed`), PER_CLASS
(default 200) per class, the same for the same corpus (seeded):
  one          one word of a title
  two, three   two or three words of one title, in order
  prefix       two words of a title, the second cut to its first 3-4 letters
  typo         one word of 6+ letters of a title with one letter replaced
  two+facets, prefix+facets   as two and prefix, also counting brand and category facets
Words are what a shopper types: letters only, at least 3 of them, lower case.
"""
import csv
import gzip
import random
import re
import sys

WORD = re.compile(r"[A-Za-z]{3,}")


def titles(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            words = [w.lower() for w in WORD.findall(row.get("title") or "")]
            if words:
                yield words


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    docs = list(titles(sys.argv[1]))
    if not docs:
        sys.exit("no titles in the corpus")
    rng = random.Random(1)
    out = sys.stdout

    def pick(n):
        for _ in range(1000):
            w = rng.choice(docs)
            if len(w) >= n:
                i = rng.randrange(len(w) - n + 1)
                return w[i:i + n]
        return rng.choice(docs)[:n]

    def emit(cls, q):
        out.write(f"{cls}\t{q}\n")

    for _ in range(per):
        emit("one", pick(1)[0])
    for _ in range(per):
        emit("two", " ".join(pick(2)))
    for _ in range(per):
        emit("three", " ".join(pick(3)))
    for cls in ("prefix", "prefix+facets"):
        for _ in range(per):
            a, b = pick(2)
            emit(cls, f"{a} {b[:rng.choice((3, 4))]}")
    for _ in range(per):
        emit("two+facets", " ".join(pick(2)))
    for _ in range(per):
        for _ in range(1000):
            w = rng.choice(rng.choice(docs))
            if len(w) >= 6:
                break
        i = rng.randrange(1, len(w) - 1)
        c = rng.choice([x for x in "abcdefghijklmnopqrstuvwxyz" if x != w[i]])
        emit("typo", w[:i] + c + w[i + 1:])


if __name__ == "__main__":
    main()
