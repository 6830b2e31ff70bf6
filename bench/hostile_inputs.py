"""Hostile Markdown that both the suite and bench/inputs.py use: the tests check what it renders to,
the bench times it against the budgets below. Pure data, no Django and no pytest."""

PATHOLOGICAL = {
    "quote markers": ">" * 5000,
    "quote markers spaced": "> " * 5000,
    "open brackets": "[" * 5000,
    "unclosed links": "[a](" * 2000,
    "unclosed images": "![x](" * 2000,
    "unclosed link texts": "[a" * 5000,
    "unclosed image texts": "![a" * 4000,
    "unclosed reference texts": "[a][" * 3000,
    "nested unclosed link texts": "[a[b]" * 2000,
    "unbalanced destinations": "[a](()" * 2000,
    "image links": "[![a](" * 2000,
    "stars": "*" * 10000,
    "star words": "**a" * 3000,
    "underscores": "_" * 5000,
    "backticks": "`" * 5000,
    "backtick words": "`a" * 5000,
    "less-thans": "<" * 5000,
    "unclosed tags": "<a " * 5000,
    "unclosed tags glued": "<a<a" * 3000,
    "unclosed autolinks": "<http://" * 3000,
    "ampersands": "&#" * 5000,
    "comment openers": "<!--" * 3000,
    "comments": "<!-- a -->" * 3000,
    "nested divs": "<div>" * 3000,
    "markdown in html": '<div markdown="1">' * 2000,
    "nested quotes": "\n".join("> " * depth + "x" for depth in range(300)),
    "nested lists": "\n".join("  " * depth + "- x" for depth in range(300)),
    "mixed nesting": "\n".join("> - " * depth + "x" for depth in range(300)),
    "mixed nesting on one line": "> - " * 1500,
    "indented lists": "\n".join("    " * depth + "- x" for depth in range(300)),
    "tab-indented lists": "\n".join("\t" * depth + "- x" for depth in range(1000)),
    "one line of a megabyte": "a " * 500_000,
    "reference definitions": "\n".join(f"[r{n}]: https://e.example/{n}" for n in range(3000)) + "\n" + " ".join(f"[x][r{n}]" for n in range(3000)),
    "long table": "|a|b|\n|-|-|\n" + "|1|2|\n" * 3000,
    "wide table": "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n|" + "1|" * 2000 + "\n",
    "one-line headings": "# a\n" * 5000,
    "one-line rules": "***\n" * 5000,
    "setext headings": "a\n===\n" * 3000,
    "abbreviations": "\n".join(f"*[A{n}]: x" for n in range(2000)) + "\n" + " ".join(f"A{n}" for n in range(2000)),
    "definition list": "a\n" + ": b\n" * 5000,
    "backslashes": "\\" * 10000,
}
# Generous for a busy shared machine, yet far below what the quadratic cases took before they
# were bounded (from 1 s for "[a](" * 2000 to about a minute for 300 indented list levels).
PATHOLOGICAL_BUDGET_SECONDS = 1.5

# Tens of thousands of unclosed <div>s between two paragraphs ("开头", "结尾"), each holding one "词".
UNCLOSED_DIVS = {
    "a line each": "开头\n\n" + "<div>词\n" * 50000 + "\n\n结尾",
    "one line": "开头\n\n" + "<div>词" * 100000 + "\n\n结尾",
}
# Python-Markdown hands these to nh3 as tens of thousands of unclosed elements, which its parser
# walks once per tag: 10 s and 25 s before the nesting guard, about 1 s with it on a 2-core machine.
UNCLOSED_DIVS_BUDGET_SECONDS = 5.0
