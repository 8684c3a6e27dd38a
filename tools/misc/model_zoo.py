#!/usr/bin/env python
"""The model zoo's figures, from the counters: parameters and FLOPs of every
model in the metafiles, and the docs pages' tables rendered from them.

    python tools/misc/model_zoo.py                 # count all, write both
    python tools/misc/model_zoo.py --only NAME ... # count these models
    python tools/misc/model_zoo.py --render        # tables only (no count)
    python tools/misc/model_zoo.py --check         # exit 1 if stale

Counting builds each config's model and counts one image at the input
size of ``tools/analysis_tools/get_flops.py`` (its default: detection
800x1280, segmentation 512x2048 without the auxiliary head, classification
the test crop), so the metafiles hold what that tool prints: ``Parameters``,
``FLOPs`` (without the attention matrix products: the toolkits' own
get_flops.py, thop and mmcv 1.x count so, as the ScalableViT paper) and
``FLOPs with attention matmuls`` (fvcore's, the ScopeViT authors'). A docs
table is the block between ``<!-- zoo: GLOB[,GLOB] [flops=with|without]
-->`` and ``<!-- /zoo -->``: one row per metafile model whose name matches
a GLOB (in metafile order), its FLOPs column in the named convention (the
other in parentheses), next to ``Paper Parameters`` / ``Paper FLOPs`` where
the metafile has them.
"""
import argparse
import fnmatch
import glob
import os.path as osp
import re
import sys

import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WITH = 'FLOPs with attention matmuls'
ZOO = re.compile(
    r'(<!-- zoo: (?P<glob>\S+)(?: flops=(?P<flops>with|without))? -->\n)'
    r'.*?(<!-- /zoo -->)', re.S)


def metafiles() -> list:
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    return [osp.join(ROOT, p) for p in index['Import']]


def load(path: str) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def dump(meta: dict, path: str) -> None:
    with open(path, 'w') as f:
        yaml.safe_dump(meta, f, sort_keys=False, width=100, allow_unicode=True)


def count(model_meta: dict) -> dict:
    """Parameters and FLOPs of a metafile model, as the metafile keys."""
    from mmscalablevit.analysis import count_flops, default_shape
    from mmscalablevit.engine import build_model, load_config
    cfg = load_config(osp.join(ROOT, model_meta['Config']))
    result = count_flops(
        build_model(cfg), cfg.default_scope, default_shape(cfg))
    return {
        'Parameters': int(result['params']),
        'FLOPs': int(result['without_attention']),
        WITH: int(result['total']),
    }


def _giga(value, unit=1e9, digits=None):
    """``value / unit``: 2 decimals below 100, else 1 (None: '-')."""
    if value is None:
        return '-'
    digits = digits or (2 if value < 100 * unit else 1)
    return f'{value / unit:.{digits}f}'


def render(models: list, flops: str) -> str:
    """A markdown table of ``models`` (metafile entries)."""
    ours, other = (WITH, 'FLOPs') if flops == 'with' else ('FLOPs', WITH)
    metrics = []
    for model in models:
        for result in model.get('Results', []):
            metrics += [m for m in result['Metrics'] if m not in metrics]
    head = [
        'Model', 'Params (M, paper / ours)',
        f'GFLOPs {flops} attention matmuls (paper / ours; '
        f'{"without" if flops == "with" else "with"} them)'
    ] + metrics + ['Config']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for model in models:
        meta = model['Metadata']
        values = {}
        for result in model.get('Results', []):
            values.update(result['Metrics'])
        params = f'{_giga(meta.get("Paper Parameters"), 1e6)} / ' \
            f'{_giga(meta["Parameters"], 1e6, 2)}'
        gflops = f'{_giga(meta.get("Paper FLOPs"))} / ' \
            f'{_giga(meta[ours])} ({_giga(meta[other])})'
        row = [model['Name'], params, gflops
               ] + [str(values.get(m, '-'))
                    for m in metrics] + [f'[config](../{model["Config"]})']
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines) + '\n'


def render_docs(all_models: list) -> dict:
    """docs page -> its text with every zoo table rendered."""
    pages = {}
    for page in sorted(glob.glob(osp.join(ROOT, 'docs', '*.md'))):
        text = open(page).read()

        def table(match):
            globs = match['glob'].split(',')
            models = [
                m for m in all_models if any(
                    fnmatch.fnmatchcase(m['Name'], g) for g in globs)
            ]
            if not models:
                raise ValueError(f'{page}: no metafile model matches '
                                 f'{match["glob"]!r}')
            return match[1] + render(models, match['flops'] or 'with') + \
                match[4]

        pages[page] = ZOO.sub(table, text)
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', help='model names to count')
    parser.add_argument(
        '--render', action='store_true', help='render the tables only')
    parser.add_argument(
        '--check',
        action='store_true',
        help='count and render without writing; exit 1 if anything differs')
    args = parser.parse_args(argv)

    stale = []
    all_models = []
    for path in metafiles():
        meta = load(path)
        changed = False
        for model in meta['Models']:
            if not args.render and (not args.only
                                    or model['Name'] in args.only):
                figures = count(model)
                print(f'{model["Name"]}: {figures["Parameters"]:,} params, '
                      f'{figures["FLOPs"] / 1e9:.2f} GFLOPs '
                      f'({figures[WITH] / 1e9:.2f} with attention matmuls)')
                for key, value in figures.items():
                    if model['Metadata'].get(key) != value:
                        stale.append(f'{model["Name"]}: {key}')
                        model['Metadata'][key] = value
                        changed = True
            all_models.append(model)
        if changed and not args.check:
            dump(meta, path)
    for page, text in render_docs(all_models).items():
        if text != open(page).read():
            stale.append(osp.relpath(page, ROOT))
            if not args.check:
                with open(page, 'w') as f:
                    f.write(text)
    for item in stale:
        print(('stale: ' if args.check else 'updated: ') + item)
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
