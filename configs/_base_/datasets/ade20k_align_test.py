# The ADE20K test pipeline of the ScopeViT authors' configs (a PoolFormer-
# style mmseg 0.x base): rescale into 2048x512 with the ratio kept, then
# resize (not pad) each side up to a multiple of 32 (AlignResize), whole
# image, single scale, no flip. Configs take it with
# `__align = _base_.pop('ade20k_align_test')`.
ade20k_align_test = dict(pipeline=[
    dict(_scope_='mmseg', type='LoadImageFromFile', backend_args=None),
    dict(
        _scope_='mmseg',
        type='mmscalablevit.AlignResize',
        scale=(2048, 512),
        size_divisor=32),
    dict(_scope_='mmseg', type='LoadAnnotations', reduce_zero_label=True),
    dict(_scope_='mmseg', type='PackSegInputs')
])
