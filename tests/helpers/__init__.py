"""What tests of every backbone share: paths, config builders, tiny data."""
import os.path as osp

TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(TESTS)
DATA = osp.join(TESTS, 'data')
