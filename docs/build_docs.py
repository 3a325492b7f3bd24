"""Build the documentation site from the executed notebooks with a Python-only toolchain (nbdev's `nbdev_docs` needs
Quarto, which these machines cannot install): one HTML page per notebook (nbconvert's lab template), every exported
function and class shown with its signature, parameter comments and docstring where the notebook defines it (as
nbdev's `show_doc` does), a navigation bar on every page and an index.

    python docs/build_docs.py --out _site        # then open _site/index.html
"""

import argparse, ast, html, importlib, inspect, pathlib, re, shutil

import nbformat
from fastcore.docments import docments
from nbconvert import HTMLExporter

ROOT = pathlib.Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
ASSETS = ('images', 'experiments')  # folders of nbs/ that notebooks link to or show
STYLE = """<style>
.pd-nav{position:sticky;top:0;z-index:10;background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:6px 12px;
  font:13px/1.6 system-ui,sans-serif}
.pd-nav a{margin-right:10px;text-decoration:none;color:#0550ae}.pd-nav a.pd-here{font-weight:bold;color:#111}
.pd-nav .pd-part{margin:0 6px 0 8px;color:#57606a;font-weight:600;text-transform:uppercase;font-size:11px}
.pd-doc{border-left:3px solid #0550ae;background:#f6f8fa;margin:12px 0;padding:6px 12px}
.pd-doc h4{margin:4px 0;font-family:monospace}.pd-doc pre{background:none;border:none;margin:4px 0;white-space:pre-wrap}
.pd-doc table{font-size:90%;border-collapse:collapse}.pd-doc td,.pd-doc th{padding:2px 8px;border-bottom:1px solid #ddd}
</style>"""


def notebooks() -> list:
    "The notebooks in reading order: the index first, then by number."
    nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    return sorted(nbs, key=lambda p: (p.stem != 'index', p.name))


def title_and_summary(nb) -> tuple:
    "The notebook's H1 title and its one-line `>` summary."
    for c in nb.cells:
        if c.cell_type == 'markdown' and c.source.lstrip().startswith('# '):
            lines = c.source.strip().splitlines()
            summary = next((l[1:].strip() for l in lines if l.startswith('>')), '')
            return lines[0][2:].strip(), summary
    return nb_name(nb), ''


def nb_name(nb) -> str:
    return nb.metadata.get('pd_name', '')


def directives(source: str) -> dict:
    "The cell's `#| name args` lines."
    out = {}
    for l in source.splitlines():
        if l.startswith('#|'):
            name, *args = l[2:].split()
            out[name] = args
    return out


def exported_names(source: str) -> list:
    "Public functions and classes a cell defines, and the methods it adds with `@patch` as `Class.method`."
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith('_'):
            continue
        patched = any(ast.unparse(d).startswith('patch') for d in getattr(node, 'decorator_list', []))
        if patched and node.args.args and node.args.args[0].annotation is not None:
            names.append(f"{ast.unparse(node.args.args[0].annotation)}.{node.name}")
        else:
            names.append(node.name)
    return names


def lookup(module, name: str):
    obj = module
    for part in name.split('.'):
        obj = getattr(obj, part)
    return obj


def signature(obj, name: str) -> str:
    "The definition line as a reader would write it, one parameter per line when long."
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    params = [str(p) for p in sig.parameters.values() if p.name != 'self']
    ret = (
        ''
        if sig.return_annotation is inspect.Signature.empty
        else f" -> {inspect.formatannotation(sig.return_annotation)}"
    )
    one = f"{name}({', '.join(params)}){ret}"
    return one if len(one) <= 100 else f"{name}(\n    " + ',\n    '.join(params) + f"\n){ret}"


def inline(text: str) -> str:
    "Escape, then backticks as code."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(text))


def doc_html(obj, name: str) -> str:
    "The block `show_doc` would draw: name, signature, docstring, and the parameters' comments as a table."
    kind = 'class' if inspect.isclass(obj) else 'def'
    parts = [f'<div class="pd-doc" id="{name}"><h4>{kind} {html.escape(name)}</h4>']
    parts.append(f'<pre>{html.escape(signature(obj, name.split(".")[-1]))}</pre>')
    doc = inspect.getdoc(obj)
    if doc:
        parts.append(f'<p>{inline(" ".join(doc.split()))}</p>')
    try:
        comments = {k: v for k, v in docments(obj).items() if v and k not in ('self', 'return')}
    except Exception:
        comments = {}
    if comments:
        rows = ''.join(f'<tr><td><code>{k}</code></td><td>{inline(v)}</td></tr>' for k, v in comments.items())
        parts.append(f'<table><tr><th>parameter</th><th>what it is</th></tr>{rows}</table>')
    return ''.join(parts) + '</div>'


def add_docs(nb) -> int:
    "Insert a doc block after every exported cell, for each public name it defines; return how many."
    module = None
    for c in nb.cells:
        d = directives(c.source) if c.cell_type == 'code' else {}
        if 'default_exp' in d:
            module = importlib.import_module(f"pixeldiff_nb.{d['default_exp'][0]}")
    cells, n = [], 0
    for c in nb.cells:
        cells.append(c)
        d = directives(c.source) if c.cell_type == 'code' else {}
        if module is None or not ({'export', 'exports'} & set(d)):
            continue
        blocks = []
        for name in exported_names(c.source):
            try:
                blocks.append(doc_html(lookup(module, name), name))
            except AttributeError:
                continue
        if blocks:
            cells.append(nbformat.v4.new_markdown_cell('\n\n'.join(blocks)))
            n += len(blocks)
    nb.cells = cells
    return n


def clean(nb):
    "Drop hidden cells and the `#|` directive lines a reader does not need."
    keep = []
    for c in nb.cells:
        if c.cell_type == 'code':
            d = directives(c.source)
            if 'hide' in d or 'default_exp' in d:
                continue
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip('\n')
        keep.append(c)
    nb.cells = keep


PARTS = ('theory', 'library', 'system', 'experiments')  # the notebooks' parts, in reading order


def part(stem: str) -> str:
    "The part a notebook belongs to, by its number: 00 theory, 01-07 library, 08-10 system, 11 on experiments."
    n = int(re.match(r'\d+', stem).group()) if re.match(r'\d+', stem) else -1
    return '' if n < 0 else 'theory' if n == 0 else 'library' if n <= 7 else 'system' if n <= 10 else 'experiments'


def nav(pages: list, here: str) -> str:
    "The navigation bar: the index, then each part's pages under the part's name."
    link = lambda stem, label, summary: (
        f'<a href="{stem}.html"{" class=pd-here" if stem == here else ""} title="{html.escape(summary)}">'
        f'{html.escape(label)}</a>'
    )
    links = [link(*p) for p in pages if not part(p[0])]
    for name in PARTS:
        links.append(f'<span class="pd-part">{name}</span>')
        links += [link(*p) for p in pages if part(p[0]) == name]
    return f'<nav class="pd-nav">{"".join(links)}</nav>'


def relink(page: str) -> str:
    "Links between notebooks point at their pages."
    return re.sub(r'(href="(?![a-z]+:)[^"#]*?)\.ipynb(["#])', r'\1.html\2', page)


def bring_in(page: str, out: pathlib.Path) -> str:
    "Files outside nbs/ that a page shows (`../bench/results/x.png`) are copied into the site and linked there."

    def copy(m):
        rel = m.group(2)
        src = (NBS / rel).resolve()
        if not src.is_file() or ROOT not in src.parents:
            return m.group(0)
        dest = out / src.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        return f'{m.group(1)}"{src.relative_to(ROOT).as_posix()}"'

    return re.sub(r'((?:src|href)=)"(\.\./[^"#?]+)"', copy, page)


def contents(pages: list) -> str:
    "The index page's table of the notebooks, grouped by part, each with its one-line summary."
    rows = ''
    for name in PARTS:
        rows += f'<tr><th colspan="2">{name}</th></tr>'
        rows += ''.join(
            f'<tr><td><a href="{stem}.html">{html.escape(label)}</a></td><td>{inline(summary)}</td></tr>'
            for stem, label, summary in pages
            if part(stem) == name
        )
    return f'<div class="pd-doc" id="pages"><h4>The notebooks</h4><table>{rows}</table></div>'


def mathjax(out: pathlib.Path) -> str:
    "MathJax 2 from the `jupyter-server-mathjax` package copied into the site (it then works offline), else its CDN."
    try:
        import jupyter_server_mathjax
    except ImportError:
        print('jupyter-server-mathjax is not installed: the pages load MathJax from its CDN')
        return 'https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,Safe'
    static = pathlib.Path(jupyter_server_mathjax.__file__).parent / 'static'
    shutil.copytree(static, out / 'mathjax', dirs_exist_ok=True)
    return 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe'


def build(out) -> list:
    "Build the site into `out`; return the pages written."
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name='lab', mathjax_url=mathjax(out))
    files = notebooks()
    nbs = {p.stem: nbformat.read(p, as_version=4) for p in files}
    pages = []
    for stem, nb in nbs.items():
        title, summary = title_and_summary(nb)
        pages.append((stem, 'pixeldiff' if stem == 'index' else f"{stem.split('_')[0]} {title}", summary or title))
    written = []
    for stem, nb in nbs.items():
        n_docs = add_docs(nb)
        clean(nb)
        body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': stem}})
        top = STYLE + nav(pages, stem) + (contents(pages) if stem == 'index' else '')
        body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + top, body, count=1)
        body = re.sub(r'<script src="https://cdnjs[^"]*require[^"]*"[^>]*>\s*</script>', '', body)  # widgets only
        (out / f'{stem}.html').write_text(bring_in(relink(body), out))
        written.append((stem, n_docs))
    for a in ASSETS:
        if (NBS / a).is_dir():
            shutil.copytree(NBS / a, out / a, dirs_exist_ok=True, ignore=shutil.ignore_patterns('*.pt', '*.npz'))
    return written


if __name__ == '__main__':
    p = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('--out', default='_site', help='folder to write the site into')
    a = p.parse_args()
    for stem, n in build(a.out):
        print(f"{a.out}/{stem}.html  ({n} exported names documented)")
    print(f"open {pathlib.Path(a.out) / 'index.html'}")
