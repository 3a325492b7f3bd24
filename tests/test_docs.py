"""The documentation site (docs/build_docs.py): built from the notebooks, a page for every notebook, every exported name
documented where it is defined, every internal link resolving, and the pages drawn by a real headless browser."""

import html.parser, os, pathlib, shutil, subprocess, sys
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BROWSER = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')


class Refs(html.parser.HTMLParser):
    "The ids a page defines and the links (`href`, `src`) it makes."

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'):
            self.ids.add(a['id'])
        if tag == 'a' and a.get('name'):
            self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k):
                self.links.append(a[k])


def parse(page: pathlib.Path) -> Refs:
    r = Refs()
    r.feed(page.read_text())
    return r


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    r = subprocess.run([sys.executable, ROOT / 'docs' / 'build_docs.py', '--out', out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_every_notebook_has_a_page_with_its_exported_names(site):
    stems = {p.stem for p in (ROOT / 'nbs').glob('*.ipynb')}
    assert stems <= {p.stem for p in site.glob('*.html')}, stems - {p.stem for p in site.glob('*.html')}
    sampler = parse(site / '03_sampler.html')
    assert {'check_inputs', 'reverse_steps', 'ode_sample'} <= sampler.ids
    page = (site / '09_system.html').read_text()
    assert 'id="System.evaluate"' in page and 'standard FID and KID' in page  # a @patch method, with its comments
    assert '#| export' not in page


def test_every_internal_link_resolves(site):
    pages = {p.name: parse(p) for p in site.glob('*.html')}
    broken = []
    for name, refs in pages.items():
        for link in refs.links:
            if link.startswith(('http:', 'https:', 'mailto:', 'data:', 'javascript:')):
                continue
            target, _, frag = link.partition('#')
            target = target.split('?')[0]
            if target and not (site / target).is_file():
                broken.append(f"{name}: {link}")
            elif frag and target.endswith('.html') and frag not in pages[target].ids:
                broken.append(f"{name}: {link} (no such anchor)")
            elif frag and not target and frag not in refs.ids:
                broken.append(f"{name}: {link} (no such anchor)")
    assert not broken, broken[:20]


def screenshot(url: str, png: pathlib.Path, profile: pathlib.Path):
    flags = '--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking '
    flags += '--disable-component-update --disable-sync --window-size=1200,1000 --virtual-time-budget=10000'
    cmd = [BROWSER, *flags.split(), f'--user-data-dir={profile}', f'--screenshot={png}', url]
    subprocess.run(cmd, capture_output=True, timeout=180)
    assert png.is_file(), f"{BROWSER} wrote no screenshot of {url}"


@pytest.mark.skipif(BROWSER is None and not os.environ.get('PIXELDIFF_REQUIRE_BROWSER'), reason='no Chromium')
def test_pages_render_in_a_headless_browser(site, tmp_path):
    from PIL import Image

    assert BROWSER, "PIXELDIFF_REQUIRE_BROWSER is set but no Chromium is on PATH (apt-get install chromium)"
    for page in ('index.html', '03_sampler.html'):
        png = tmp_path / f'{page}.png'
        screenshot((site / page).as_uri(), png, tmp_path / 'profile')
        a = np.asarray(Image.open(png).convert('L'), dtype=float)
        inked = (a < 200).mean()
        assert a.shape == (1000, 1200) and inked > 0.02 and a.std() > 20, (page, inked, a.std())
