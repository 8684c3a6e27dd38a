# The UperNet 160k learning-rate schedule both backbones' UperNet configs
# use (Twins' for ScalableViT, the ScopeViT authors' own): a linear warm-up
# over 1500 iterations from 1e-6, then poly power 1.0 to 0 at 160k.
# Configs take it with `_base_.pop('upernet_160k')`.
upernet_160k = dict(param_scheduler=[
    dict(
        _scope_='mmseg',
        type='LinearLR',
        start_factor=1e-6,
        by_epoch=False,
        begin=0,
        end=1500),
    dict(
        _scope_='mmseg',
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        begin=1500,
        end=160000,
        by_epoch=False)
])
