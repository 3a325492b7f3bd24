"CIFAR-10 loading from a user path: the packed format, the on-disk cache (written atomically), and clear errors."

import io, numpy as np, pytest
from PIL import Image
from pixeldiff_nb import data


def write_packed(folder, n=6, seed=0):
    rng = np.random.default_rng(seed)
    blobs, offs = [], [0]
    for k in range(n):
        b = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(b, format='JPEG')
        blobs.append(b.getvalue())
        offs.append(offs[-1] + len(blobs[-1]))
    jpeg = np.frombuffer(b''.join(blobs), dtype=np.uint8)
    for split in ('train', 'test'):
        np.savez(
            folder / f'{split}.npz',
            jpeg=jpeg,
            offsets=np.array(offs),
            labels=np.arange(n, dtype=np.uint8) % 10,
            classes=np.array(['c'] * 10),
        )


def test_packed_user_path_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('PIXELDIFF_CACHE', str(tmp_path / 'cache'))
    (tmp_path / 'c10').mkdir()
    write_packed(tmp_path / 'c10')
    with pytest.warns(UserWarning, match="not the project's packed CIFAR-10"):
        imgs, labels = data.load_cifar10('test', path=tmp_path / 'c10')
    assert imgs.shape == (6, 32, 32, 3) and imgs.dtype == np.uint8 and labels.tolist() == [0, 1, 2, 3, 4, 5]
    cached = list((tmp_path / 'cache').glob('cifar10-test-*.npz'))
    assert len(cached) == 1 and not list((tmp_path / 'cache').glob('*.tmp*'))
    data._MEM_CACHE.clear()
    again, _ = data.load_cifar10('test', path=tmp_path / 'c10')  # from the disk cache, no warning
    np.testing.assert_array_equal(again, imgs)


def test_missing_paths_raise_value_errors(tmp_path):
    with pytest.raises(ValueError, match='no CIFAR-10 at'):
        data.load_cifar10('train', path=tmp_path)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        data.load_images('folder', path=tmp_path / 'nothing')
