"""Fixtures every test may use: a fixed seed, the small generated datasets
and a local file server. Backbone-specific fixtures live in each backbone's
folder."""
import functools
import http.server
import threading

import pytest
import torch


def pytest_addoption(parser):
    parser.addoption(
        '--runslow',
        action='store_true',
        help='also run the end-to-end tests marked slow (minutes each)')


def pytest_collection_modifyitems(config, items):
    if config.getoption('--runslow'):
        return
    skip = pytest.mark.skip(reason='slow end-to-end test: pass --runslow')
    for item in items:
        if 'slow' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """Small generated COCO-, ADE20K-, COCO-keypoints- and folder-format
    sets."""
    import shutil

    from mmscalablevit.datasets import (make_ade_shapes, make_coco_people,
                                        make_coco_shapes)
    root = tmp_path_factory.mktemp('data')
    make_coco_shapes(
        str(root / 'tiny_coco'), num_train=8, num_val=4, empty_every=4, seed=1)
    make_ade_shapes(
        str(root / 'tiny_ade'), num_train=8, num_val=4, empty_every=4, seed=1)
    make_coco_people(
        str(root / 'tiny_pose'), num_train=8, num_val=4, empty_every=4, seed=1)
    for i, cls in enumerate(('a', 'b')):
        (root / 'tiny_cls' / cls).mkdir(parents=True)
        for j in range(2):
            shutil.copy(root / 'tiny_coco' / 'train' / f'{2 * i + j:05d}.jpg',
                        root / 'tiny_cls' / cls / f'{j}.jpg')
    return str(root)


@pytest.fixture
def file_server(tmp_path):
    """An http server on 127.0.0.1 serving tmp_path/served."""
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
    thread.join()
