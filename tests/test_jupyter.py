"""The notebooks as a user meets them: JupyterLab's REST API and a kernel driven through it, the ipywidgets explorer,
and the fast notebooks run top to bottom in a real Jupyter kernel (nbconvert)."""

import asyncio, json, os, pathlib, secrets, socket, subprocess, sys, time, urllib.request, uuid
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Lab:
    "A headless JupyterLab on the loopback address, rooted at the repository."

    def __init__(self):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f'http://127.0.0.1:{self.port}'
        self.proc = subprocess.Popen(
            [
                sys.executable,
                '-m',
                'jupyter',
                'lab',
                '--no-browser',
                '--allow-root',
                '--ip=127.0.0.1',
                f'--port={self.port}',
                f'--IdentityProvider.token={self.token}',
                f'--ServerApp.root_dir={ROOT}',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 90
        while True:
            try:
                self.get('/api/status')
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited: {self.proc.stderr.read()[-2000:]}")
                if time.time() > deadline:
                    raise TimeoutError('jupyter lab did not answer within 90 s')
                time.sleep(0.5)

    def request(self, method, path, body=None):
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={'Authorization': f'token {self.token}', 'Content-Type': 'application/json'},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return json.loads(data) if data else None

    def get(self, path):
        return self.request('GET', path)

    def execute(self, kernel_id, code, timeout=120):
        "Run `code` in the kernel over its websocket; returns the iopub messages of that execution and the reply."
        from tornado.websocket import websocket_connect

        async def run():
            ws = await websocket_connect(
                f'ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels?token={self.token}'
            )
            msg_id = uuid.uuid4().hex
            ws.write_message(
                json.dumps(
                    dict(
                        channel='shell',
                        header=dict(
                            msg_id=msg_id,
                            msg_type='execute_request',
                            username='test',
                            session=uuid.uuid4().hex,
                            version='5.3',
                            date='',
                        ),
                        parent_header={},
                        metadata={},
                        content=dict(
                            code=code,
                            silent=False,
                            store_history=True,
                            user_expressions={},
                            allow_stdin=False,
                            stop_on_error=True,
                        ),
                    )
                )
            )
            iopub, reply, idle = [], None, False
            while reply is None or not idle:
                m = json.loads(await asyncio.wait_for(ws.read_message(), timeout))
                if m.get('parent_header', {}).get('msg_id') != msg_id:
                    continue
                if m['channel'] == 'shell':
                    reply = m['content']
                elif m['channel'] == 'iopub':
                    iopub.append(m)
                    if m['msg_type'] == 'status' and m['content']['execution_state'] == 'idle':
                        idle = True
            ws.close()
            return iopub, reply

        return asyncio.run(run())

    def close(self):
        try:
            self.request('POST', '/api/shutdown')
        except OSError:
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope='module')
def lab():
    lab = Lab()
    yield lab
    lab.close()


def test_lab_lists_notebooks_and_runs_index_cell(lab):
    names = {c['name'] for c in lab.get('/api/contents/nbs')['content']}
    assert {'index.ipynb', '00_theory.ipynb', '09_system.ipynb', '10_cli.ipynb'} <= names, names
    nb = lab.get('/api/contents/nbs/index.ipynb')['content']
    cell = next(c for c in nb['cells'] if c['cell_type'] == 'code')
    k = lab.request('POST', '/api/kernels', {'name': 'python3'})
    try:
        iopub, reply = lab.execute(
            k['id'], f"import os; os.chdir({str(NBS)!r})\n" + cell['source'] + "\nprint('cell ran')"
        )
        assert reply['status'] == 'ok', reply
        out = ''.join(m['content'].get('text', '') for m in iopub if m['msg_type'] == 'stream')
        assert 'cell ran' in out
    finally:
        lab.request('DELETE', f"/api/kernels/{k['id']}")
    assert all(x['id'] != k['id'] for x in lab.get('/api/kernels'))


def test_widget_explorer_in_lab(lab):
    "The lab has the ipywidgets extension, and the explorer builds its widgets in a kernel it started."
    exts = lab.get('/lab/api/extensions')
    exts = exts if isinstance(exts, list) else exts.get('data', exts)
    manager = [e for e in exts if 'jupyterlab-manager' in e['name']]  # ipywidgets' lab extension (jupyterlab_widgets)
    assert manager and manager[0].get('enabled', True), [e['name'] for e in exts]
    k = lab.request('POST', '/api/kernels', {'name': 'python3'})
    try:
        code = (
            "import torch\nfrom pixeldiff_nb.figures import forward_explorer\nfrom pixeldiff_nb.data import shapes, to_model\n"
            "img = to_model(torch.from_numpy(shapes(1, seed=0)[0][0]).permute(2, 0, 1))\nui = forward_explorer(img)\n"
            "ui.children[0].children[0].value = 30.0\nui"
        )
        iopub, reply = lab.execute(k['id'], code)
        assert reply['status'] == 'ok', reply
        views = [
            m
            for m in iopub
            if m['msg_type'] in ('execute_result', 'display_data')
            and 'application/vnd.jupyter.widget-view+json' in m['content']['data']
        ]
        assert views, [m['msg_type'] for m in iopub]
        assert any(m['msg_type'] == 'comm_open' and m['content']['target_name'] == 'jupyter.widget' for m in iopub)
        frames = [m for m in iopub if m['msg_type'] == 'display_data' and 'image/png' in m['content']['data']]
        assert len(frames) >= 2, 'the explorer should draw once, then again when the gamma slider moves'
    finally:
        lab.request('DELETE', f"/api/kernels/{k['id']}")


FAST = ['index.ipynb', '00_theory.ipynb']


@pytest.mark.parametrize('name', FAST)
def test_notebook_runs_in_jupyter_kernel(name, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            '-m',
            'jupyter',
            'nbconvert',
            '--to',
            'notebook',
            '--execute',
            '--output-dir',
            str(tmp_path),
            '--ExecutePreprocessor.timeout=600',
            str(NBS / name),
        ],
        capture_output=True,
        text=True,
        cwd=NBS,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    nb = json.loads((tmp_path / name).read_text())
    assert not any(o.get('output_type') == 'error' for c in nb['cells'] for o in c.get('outputs', []))
