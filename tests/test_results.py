"""What a reader takes away is what the records say: README's answer, the default samplers' evidence and the notebooks'
stated numbers are rendered from or checked against the committed records, and no internal work note leaks into them."""

import json, pathlib, re, subprocess, sys

import pytest
from pixeldiff_nb import results

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text()
NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'))


def cells(nb: pathlib.Path) -> list:
    "The cells of a notebook as `(type, source)`."
    return [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text())['cells']]


def test_readme_and_evidence_are_what_the_records_say():
    "`--check` exits 1 when a rendered file is stale; it is 0 on the committed tree."
    r = subprocess.run([sys.executable, '-m', 'pixeldiff_nb.results', '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_a_changed_record_makes_the_readme_stale(tmp_path):
    "The check can fail: a record that moves one number changes the rendered README."
    rs = results.runs()
    before = results.answer_blocks(rs)
    rs['runs/s_gn20k']['samples']['ddpm+clip']['fd'] += 0.5
    after = results.answer_blocks(rs)
    assert before['answer-table'] != after['answer-table'] and before['answer-text'] != after['answer-text']
    assert results.render_blocks(README, after) != README


def test_readme_is_a_front_page():
    "At most 150 lines; the answer's table and figure within the first 60."
    lines = README.splitlines()
    assert len(lines) <= 150, len(lines)
    first = '\n'.join(lines[:60])
    assert '| DDPM baseline | DDPM, 1,000 steps |' in first and '](nbs/images/answer.png)' in first
    assert (ROOT / 'nbs' / 'images' / 'answer.png').is_file()


def outside_blocks(text: str) -> str:
    "README without its rendered blocks, its code blocks and its references: the prose typed by hand."
    text = re.sub(r'<!-- results:([\w-]+) -->.*?<!-- /results:\1 -->', '', text, flags=re.S)
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return text.split('## References')[0]


def test_readme_types_no_measured_number_by_hand():
    "Measured numbers (decimals, ± errors) appear only in the blocks rendered from the records."
    typed = re.findall(r'.{0,30}(?:\d\.\d|±).{0,30}', outside_blocks(README))
    assert not typed, typed
    assert re.findall(
        r'\d\.\d', outside_blocks('a 0.18 b\n```\n1.5\n```\n<!-- results:x -->\n2.5\n<!-- /results:x -->')
    )


ISSUE = re.compile(r'\bissues? (?:#?\d+)|\bthe issue\b|\bawaits a rerun\b|\bthe old demo\b|\bnot yet run\b', re.I)


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.stem)
def test_no_internal_issue_number_or_work_note_in_a_notebook(nb):
    found = [m.group(0) for _, s in cells(nb) for m in ISSUE.finditer(s)]
    assert not found, found


def test_no_internal_issue_number_in_readme_library_bench_or_help():
    files = [*(ROOT / 'pixeldiff_nb').glob('*.py'), *(ROOT / 'bench').glob('*.py'), *(ROOT / 'bench').glob('*.sh')]
    texts = {'README.md': README, 'bench/README.md': (ROOT / 'bench' / 'README.md').read_text()}
    texts |= {str(p.relative_to(ROOT)): p.read_text() for p in files}
    for cmd in ('sample', 'evaluate', 'train'):
        r = subprocess.run(['pixeldiff', cmd, '--help'], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        texts[f'pixeldiff {cmd} --help'] = r.stdout
        flat = ' '.join(r.stdout.split())
        assert '(default: None)' not in flat and not re.search(r'\(default[ :][^)]*\) \(default', flat), cmd
    found = {k: ISSUE.findall(v) for k, v in texts.items() if ISSUE.search(v)}
    assert not found, found


def test_every_expectation_is_stated_and_every_stated_one_exists():
    "Each entry of expectations.json is named in a notebook's code, and each literal `expect(\"...\"` names an entry."
    ex = results.expectations()
    code = '\n'.join(s for nb in NOTEBOOKS for kind, s in cells(nb) if kind == 'code')
    named = [json.loads(f'"{m.group(1)}"') for m in re.finditer(r'expect\(\s*"((?:[^"\\]|\\.)*)"', code)]
    assert named and set(named) - set(ex) == set(), sorted(set(named) - set(ex))[:5]
    quoted = lambda k: (f'"{k}"', f"'{k}'", json.dumps(k, ensure_ascii=False))
    unused = [k for k in ex if not any(q in code for q in quoted(k))]
    assert not unused, unused[:5]
    assert all(e['why'] for e in ex.values())


def test_expect_fails_outside_its_tolerance():
    name, e = next((k, v) for k, v in results.expectations().items() if not isinstance(v['value'], list))
    results.expect(name, e['value'])
    with pytest.raises(AssertionError, match='the records say'):
        results.expect(name, e['value'] + 2 * e['tol'] + 1e-6)
