"""The library's literate form, checked on what `nbdev_export` wrote: lines of at most 120 characters and one statement
per line. The module docstring and `__all__` that nbdev writes from the notebooks are exempt."""

import io, pathlib, tokenize

LIB = pathlib.Path(__file__).parents[1] / 'pixeldiff_nb'
MODULES = sorted(f for f in LIB.glob('*.py') if f.name != '_modidx.py')


def long_lines(text: str) -> list:
    "Numbers of the lines over 120 characters, but for the module docstring (line 1) and `__all__`."
    lines = text.splitlines()
    return [k for k, l in enumerate(lines, 1) if len(l) > 120 and k > 1 and not l.startswith('__all__')]


def joined_statements(text: str) -> list:
    "Numbers of the lines that join statements with `;`."
    toks = tokenize.generate_tokens(io.StringIO(text).readline)
    return [t.start[0] for t in toks if t.type == tokenize.OP and t.string == ';']


def test_the_checks_find_what_they_look_for():
    bad = '"""' + 'd' * 130 + '"""\n' + "x = 1; y = ';'\n" + "z = '" + 'a' * 130 + "'\n"
    assert long_lines(bad) == [3]
    assert joined_statements(bad) == [2]


def test_library_lines_at_most_120():
    found = [f"{f.name}:{k}" for f in MODULES for k in long_lines(f.read_text())]
    assert not found, f"library lines over 120 characters (shorten them in the notebooks): {found}"


def test_library_one_statement_per_line():
    found = [f"{f.name}:{k}" for f in MODULES for k in joined_statements(f.read_text())]
    assert not found, f"statements joined with ';' (one per line, in the notebooks): {found}"
