"""The authors' checkpoints of every backbone family: the converter tools
(backbone and classifier files, the released variant named, files of this
package refused) and errors that name every key of a file that does not
fit."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmscalablevit.checkpoint import CheckpointMismatchError

from ..helpers import ROOT
from ..helpers.backbones import BACKBONES, NAMES, from_official, official, tiny


def authors_file(path, state_dict):
    """``state_dict`` (the authors' keys) as a training checkpoint."""
    torch.save({'model': dict(state_dict), 'epoch': 299}, path)
    return str(path)


def convert(name, *args):
    tool = osp.join(ROOT, 'tools', 'model_converters',
                    BACKBONES[name].converter)
    return subprocess.run([sys.executable, tool, *map(str, args)],
                          capture_output=True,
                          text=True,
                          check=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def assert_fixture_outputs(model, name):
    with torch.no_grad():
        outs = model.eval()(official(name)['input'])
    for out, ref in zip(outs, official(name)['stage_outputs']):
        assert (out - ref).abs().max() <= 1e-5 * ref.abs().max()


@pytest.mark.parametrize('name', NAMES)
def test_converter_tool_backbone_and_classifier(name, tmp_path):
    key_map = BACKBONES[name].cls.key_map
    authors = official(name)['state_dict']
    src = authors_file(tmp_path / 'authors.pth', authors)
    dst = tmp_path / 'backbone.pth'
    assert f'backbone of a custom {name}' in convert(name, src, dst).stdout
    converted = torch.load(dst, weights_only=True)
    assert set(converted) == {'state_dict', 'meta'}
    assert converted['meta']['task'] == 'backbone'
    assert set(converted['state_dict']) == set(
        from_official(name).state_dict())
    model = from_official(
        name, init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()
    assert_fixture_outputs(model, name)

    dst = tmp_path / 'classifier.pth'
    out = convert(name, src, dst, '--task', 'classifier').stdout
    assert f'classifier of a custom {name}' in out
    classifier = torch.load(dst, weights_only=True)['state_dict']
    expected = key_map.convert(authors, 'classifier')  # see test_parity
    assert list(classifier) == list(expected)
    assert all(torch.equal(classifier[k], v) for k, v in expected.items())
    assert {k.split('.')[0] for k in classifier} == {'backbone', 'head'}


@pytest.mark.parametrize('name', NAMES)
def test_converter_names_the_variant(name, tmp_path):
    """An authors'-layout file of a released variant (made by inverting the
    key map) is recognised as that variant."""
    backbone = BACKBONES[name]
    variant = backbone.cls.key_map.variants[0]
    src = authors_file(
        tmp_path / 'authors.pth',
        backbone.to_official(backbone.cls(variant).state_dict()))
    out = convert(name, src, tmp_path / 'out.pth').stdout
    assert f'{name}-{variant.upper()}' in out
    assert torch.load(
        tmp_path / 'out.pth', weights_only=True)['meta']['arch'] == variant


@pytest.mark.parametrize('name', NAMES)
def test_converter_refuses_files_of_this_package(name, tmp_path):
    src = tmp_path / 'ours.pth'
    torch.save({'state_dict': tiny(name).state_dict()}, src)
    with pytest.raises(subprocess.CalledProcessError) as err:
        convert(name, src, tmp_path / 'out.pth')
    assert 'nothing to convert' in err.value.stderr


@pytest.mark.parametrize('name', NAMES)
def test_wrong_arch_is_refused_with_key_names(name, tmp_path):
    backbone = BACKBONES[name]
    path = authors_file(tmp_path / 'authors.pth', official(name)['state_dict'])
    wide = dict(
        backbone.tiny, embed_dims=[3 * d for d in backbone.tiny['embed_dims']])
    model = backbone.cls(
        arch=wide, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert 'shape mismatches (checkpoint vs model)' in message
    variants = '/'.join(backbone.cls.key_map.variants)
    assert f'arch matches the checkpoint ({variants})' in message


@pytest.mark.parametrize('name', NAMES)
def test_missing_and_unexpected_keys_are_named(name, tmp_path):
    """A key of the same name in both layouts goes missing, another
    appears."""
    state_dict = dict(official(name)['state_dict'])
    ours = from_official(name).state_dict()
    missing = next(k for k in state_dict
                   if k in ours and '.attn.' in k and k.endswith('weight'))
    extra = missing.replace('.weight', '.extra.weight')
    state_dict[extra] = state_dict.pop(missing)
    path = authors_file(tmp_path / 'broken.pth', state_dict)
    model = from_official(
        name, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert f'missing keys 1: {missing}' in message
    assert f'unexpected keys 1: {extra}' in message
