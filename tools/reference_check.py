"""Check include/reference/gbt4754_2017.csv (GB/T 4754-2017 industry tree).

Run from the repository root:  python3 tools/reference_check.py
Prints OK with the counts per level, or every problem found and exits 1.
Standard library only.
"""
import csv
import re
import sys
from collections import Counter
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parent.parent / "include" / "reference" / "gbt4754_2017.csv"

HEADER = ["level", "code", "name", "section", "division", "group"]
LEVELS = ["section", "division", "group", "class"]
# The standard's foreword counts 1,380 classes; every public table found has the same 1,381 (include/reference/README.md).
EXPECTED = {"section": 20, "division": 97, "group": 473, "class": 1381}
CODE_RE = {
    "section": re.compile(r"[A-T]"),
    "division": re.compile(r"\d{2}"),
    "group": re.compile(r"\d{3}"),
    "class": re.compile(r"\d{4}"),
}
# Division ranges of each section, as stated in the standard.
SECTION_DIVISIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
    "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
    "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
    "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}


def check(path):
    problems = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != HEADER:
            return [f"header is {header}, expected {HEADER}"], Counter()
        rows = list(reader)

    counts = Counter()
    seen = {}  # code -> level
    section_of = {}  # code -> section letter
    for lineno, row in enumerate(rows, start=2):
        where = f"line {lineno}"
        if len(row) != len(HEADER):
            problems.append(f"{where}: {len(row)} fields, expected {len(HEADER)}")
            continue
        level, code, name, section, division, group = row
        if level not in LEVELS:
            problems.append(f"{where}: unknown level {level!r}")
            continue
        counts[level] += 1
        if not CODE_RE[level].fullmatch(code):
            problems.append(f"{where}: {level} code {code!r} is malformed")
            continue
        if not name.strip():
            problems.append(f"{where}: {level} {code} has an empty name")
        elif name != name.strip():
            problems.append(f"{where}: {level} {code} name has surrounding whitespace")
        if code in seen:
            problems.append(f"{where}: duplicate code {code}")
        seen[code] = level
        section_of[code] = code if level == "section" else section

        # Ancestors: present for the levels above, empty for the rest.
        expected_parent = {
            "section": ("", "", ""),
            "division": (section, "", ""),
            "group": (section, code[:2], ""),
            "class": (section, code[:2], code[:3]),
        }[level]
        if (section, division, group) != expected_parent:
            problems.append(
                f"{where}: {level} {code} ancestors {section!r},{division!r},{group!r} "
                f"do not match its code (expected {expected_parent})"
            )
        if level != "section":
            if section not in SECTION_DIVISIONS:
                problems.append(f"{where}: {level} {code} has unknown section {section!r}")
            else:
                lo, hi = SECTION_DIVISIONS[section]
                if not lo <= int(code[:2]) <= hi:
                    problems.append(
                        f"{where}: {level} {code} is not in section {section} "
                        f"(divisions {lo:02d}-{hi:02d})"
                    )
            parent = {"division": section, "group": code[:2], "class": code[:3]}[level]
            parent_level = LEVELS[LEVELS.index(level) - 1]
            if seen.get(parent) != parent_level:
                problems.append(
                    f"{where}: {level} {code} appears before (or without) its parent {parent_level} {parent}"
                )
            elif section_of.get(parent) != section:
                problems.append(
                    f"{where}: {level} {code} is in section {section} but its parent {parent} "
                    f"is in section {section_of.get(parent)}"
                )

    for level in LEVELS:
        if counts[level] != EXPECTED[level]:
            problems.append(f"{counts[level]} rows of level {level}, expected {EXPECTED[level]}")
    return problems, counts


def main():
    problems, counts = check(CSV_PATH)
    summary = ", ".join(f"{level} {counts[level]}" for level in LEVELS)
    if problems:
        print(f"{CSV_PATH.name}: {len(problems)} problem(s) ({summary})")
        for p in problems:
            print("  " + p)
        return 1
    print(f"OK {CSV_PATH.name}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
