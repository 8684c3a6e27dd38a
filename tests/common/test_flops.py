"""FLOPs: the metafiles hold what the counter computes (both conventions,
at get_flops.py's default input size); the ScalableViT figures are within
3% of the paper's (its convention: without the attention matrix products);
the classifiers' totals match the released code's fvcore counts."""
import subprocess
import sys

import pytest

from mmscalablevit.analysis import count_flops, default_shape

from ..helpers import ROOT
from ..helpers.builders import build_model, load_config
from .test_metafiles import metafile_models

# a sample of every task, backbone and input size (counting them all takes
# half an hour: tools/misc/model_zoo.py --check)
COUNTED = [
    'retinanet_scalablevit_s_1x', 'mask_rcnn_scalablevit_s_1x',
    'semfpn_scalablevit_s_80k_ade20k', 'upernet_scalablevit_s_160k_ade20k',
    'scalablevit_s_in1k', 'scalablevit_b_in1k', 'scalablevit_l_in1k',
    'retinanet_scopevit_xt_1x', 'scopevit_t_in1k'
]
# The released classifiers counted by fvcore / mmengine (matmuls included).
RELEASED_TOTAL = {
    'scalablevit_s_in1k': 4.285,
    'scalablevit_b_in1k': 8.827,
    'scalablevit_l_in1k': 15.027
}


@pytest.mark.parametrize('name', COUNTED)
def test_metafile_flops_are_the_counters(name):
    meta = next(m for m in metafile_models() if m['Name'] == name)['Metadata']
    cfg = load_config(name)
    flops = count_flops(
        build_model(cfg), cfg.default_scope, default_shape(cfg))
    assert meta['FLOPs'] == flops['without_attention']
    assert meta['FLOPs with attention matmuls'] == flops['total']
    assert meta['Parameters'] == flops['params']
    if 'scalablevit' in name:
        assert abs(meta['FLOPs'] / meta['Paper FLOPs'] - 1) < 0.03
    if name in RELEASED_TOTAL:
        assert flops['total'] / 1e9 == pytest.approx(
            RELEASED_TOTAL[name], abs=0.01)


def test_get_flops_tool_prints_the_metafile_figures():
    proc = subprocess.run([
        sys.executable, f'{ROOT}/tools/analysis_tools/get_flops.py',
        f'{ROOT}/configs/scopevit_t_in1k.py'
    ],
                          capture_output=True,
                          text=True,
                          check=True)
    out = proc.stdout
    assert 'Input shape: 3 x 256 x 256' in out  # the test crop
    assert 'Params: 8.01 M (8,006,716)' in out
    assert "FLOPs (without attention matmuls, the metafiles' FLOPs): " \
        '1.60 G' in out
    assert 'FLOPs (with attention matmuls): 1.98 G' in out
