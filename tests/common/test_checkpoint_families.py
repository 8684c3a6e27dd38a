"""A checkpoint of the other backbone family: the converters name the
family a file holds and the converter it needs, and resuming names both
families instead of failing in the optimizer."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmscalablevit.checkpoint import CheckpointMismatchError, convert_main
from mmscalablevit.engine import build_model, check_resumable, load_config
from mmscalablevit.models import ScalableViT, ScopeViT

from ..helpers import ROOT
from ..helpers.runs import DET, QUICKSTART, det_options, train
from ..scalable_vit.fixtures import TINY_ARCH as SCALABLE_ARCH
from ..scalable_vit.fixtures import official_state_dict
from ..scope_vit.fixtures import TINY_ARCH as SCOPE_ARCH
from ..scope_vit.fixtures import to_official


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """The authors' and this package's layout of a tiny model of each
    family."""
    root = tmp_path_factory.mktemp('families')
    scalable, scope = ScalableViT(SCALABLE_ARCH), ScopeViT(SCOPE_ARCH)
    paths = {
        ('ScalableViT', 'authors'): {
            'model': official_state_dict(scalable.state_dict())
        },
        ('ScopeViT', 'authors'): {
            'state_dict': to_official(scope.state_dict())
        },
        ('ScalableViT', 'package'): {
            'state_dict': scalable.state_dict()
        },
        ('ScopeViT', 'package'): {
            'state_dict': scope.state_dict()
        },
    }
    for (family, layout), obj in paths.items():
        paths[family, layout] = str(root / f'{family}_{layout}.pth')
        torch.save(obj, paths[family, layout])
    return paths


def _refusal(backbone_cls, src, tmp_path) -> str:
    with pytest.raises(SystemExit) as exit_:
        convert_main(backbone_cls, [src, str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()
    return str(exit_.value)


@pytest.mark.parametrize('converter,other', [(ScopeViT, 'ScalableViT'),
                                             (ScalableViT, 'ScopeViT')])
def test_a_converter_names_the_family_and_converter_of_a_file(
        files, tmp_path, converter, other):
    message = _refusal(converter, files[other, 'authors'], tmp_path)
    assert f"is an authors' {other} checkpoint" in message
    assert f'tools/model_converters/{other.lower()}2mm.py' in message
    message = _refusal(converter, files[other, 'package'], tmp_path)
    assert f"holds {other} weights in this package's key layout" in message
    own = converter.key_map.name
    message = _refusal(converter, files[own, 'package'], tmp_path)
    assert f"holds {own} weights in this package's key layout" in message


def test_the_converter_script_says_it_in_one_line(files, tmp_path):
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'model_converters', 'scopevit2mm.py'),
        files['ScalableViT', 'authors'],
        str(tmp_path / 'out.pth')
    ],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 1
    assert proc.stderr.strip().count('\n') == 0, proc.stderr
    assert 'scalablevit2mm.py' in proc.stderr


def test_resume_from_the_other_family_names_both(tiny_data, tmp_path):
    """tools/train.py --resume with a ScopeViT detector's checkpoint and
    the ScalableViT quick start."""
    scope_detector = build_model(
        load_config(osp.join(QUICKSTART, 'mask_rcnn_scopevit_tiny_shapes.py')))
    path = tmp_path / 'scopevit_detector.pth'
    torch.save({'state_dict': scope_detector.state_dict()}, path)
    with pytest.raises(CheckpointMismatchError) as error:
        train(DET, tmp_path / 'work', det_options(tiny_data), '--resume',
              str(path))
    message = str(error.value)
    assert f'Cannot resume from {path}: it holds a ScopeViT backbone, the ' \
        'config builds a ScalableViT backbone' in message


def test_resume_from_another_variant_names_the_keys():
    model = build_model(load_config(DET))
    other = ScalableViT(dict(SCALABLE_ARCH, embed_dims=[16, 32, 48, 96]))
    state_dict = {f'backbone.{k}': v for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        check_resumable(model, {'state_dict': state_dict}, 'x.pth')
    state_dict = {
        f'backbone.{k}': v
        for k, v in model.backbone.state_dict().items()
    }
    check_resumable(model, {'state_dict': state_dict}, 'x.pth')
