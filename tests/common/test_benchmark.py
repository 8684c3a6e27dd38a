"""tools/analysis_tools/benchmark.py: runs side by side, reports ratios to
the baseline measured in the same run, FLOP rates and memory, and writes
JSON + Markdown. (No speed is asserted: timings on a shared CPU are noise;
the README reports measured figures.)"""
import json
import subprocess
import sys

import pytest

from ..helpers import ROOT


def test_benchmark_tool_writes_side_by_side_table(tmp_path):
    out = tmp_path / 'bench'
    subprocess.run([
        sys.executable, f'{ROOT}/tools/analysis_tools/benchmark.py',
        '--models', 'scalablevit-s', 'swin-t', '--shapes', '96x128:1',
        '--train', '--with-cp', '--memory', '--flops', '--rounds', '2',
        '--repeats', '1', '--warmup', '1', '--out-dir',
        str(out)
    ],
                   check=True,
                   capture_output=True,
                   timeout=900)
    results = json.loads((out / 'benchmark.json').read_text())
    assert results['device'].startswith('cpu')
    assert results['matmul_rate_gmacs'] > 0
    rows = {(r['model'], r['mode'], r['with_cp']): r for r in results['rows']}
    assert set(rows) == {(m, mode, cp)
                         for m in ('scalablevit-s', 'swin-t')
                         for mode, cp in (('inference', False),
                                          ('train', False), ('train', True))}
    for (model, mode, cp), row in rows.items():
        assert row['throughput'] > 0 and row['latency_ms'] > 0
        # the ratio to the baseline of the same pass and setting
        baseline = rows.get(('swin-t', mode, cp))
        if baseline:
            assert row['ratio_to_baseline'] == pytest.approx(
                baseline['latency_ms'] / row['latency_ms'])
    inference = rows[('scalablevit-s', 'inference', False)]
    assert 0 < inference['flop_rate_fraction']
    # 4.28 GFLOPs at 224x224, scaled to 96x128 (attention grows faster)
    assert 0.9 < inference['gflops_per_image'] < 1.3
    plain = rows[('scalablevit-s', 'train', False)]
    ckpt = rows[('scalablevit-s', 'train', True)]
    assert ckpt['peak_memory_mb'] < plain['peak_memory_mb']
    assert ckpt['memory_ratio_to_no_cp'] < 1
    table = (out / 'benchmark.md').read_text()
    assert '| scalablevit-s | train | True | 96x128 | 1 |' in table


def _benchmark_models(monkeypatch):
    monkeypatch.syspath_prepend(f'{ROOT}/tools/analysis_tools')
    import benchmark_models
    return benchmark_models


def test_benchmarked_backbones_have_no_stochastic_depth(monkeypatch):
    """Training steps compare the same work: the stack's Swin-T defaults to
    drop_path_rate 0.1, which would add DropPath's masking to its step only.
    (The authors' models are checked in the next test: their file is not
    shipped.)"""
    models = _benchmark_models(monkeypatch).MODELS
    for name, build in models.items():
        if name.endswith('-authors'):
            continue
        model = build()
        rates = [
            m.drop_prob for m in model.modules()
            if type(m).__name__ == 'DropPath'
        ]
        assert all(rate == 0 for rate in rates), (name, rates)


def test_authors_models_need_their_file_and_drop_no_path(
        monkeypatch, tmp_path):
    """Without --authors-file the tool names the flag; with it, the file's
    class is built as a dense backbone without stochastic depth."""
    bm = _benchmark_models(monkeypatch)
    monkeypatch.setattr(bm, 'AUTHORS_FILES', {})
    monkeypatch.delitem(sys.modules, '_authors_scopevit', raising=False)
    with pytest.raises(ValueError, match='--authors-file scopevit=PATH'):
        bm.MODELS['scopevit-t-authors']()
    stand_in = tmp_path / 'scopevit.py'
    stand_in.write_text('class ScopeViT:\n'
                        '    def __init__(self, **kwargs):\n'
                        '        self.kwargs = kwargs\n')
    monkeypatch.setattr(bm, 'AUTHORS_FILES', {'scopevit': str(stand_in)})
    model = bm.MODELS['scopevit-t-authors']()
    monkeypatch.delitem(sys.modules, '_authors_scopevit')
    assert model.kwargs == dict(arch='tiny', fork_feat=True, drop_path_rate=0.)
