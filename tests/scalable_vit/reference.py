"""A deliberately plain, functional ScalableViT used as the test oracle.

It reads the authors' state-dict keys directly and computes every operation
the obvious way: explicit matmul attention, Python loops over windows. For
sides that are not multiples of the window, each border window simply holds
the real tokens that fall into it (no padding, no mask) - the semantics the
backbone's pad-and-mask implementation must reproduce. On aligned sizes this
is the released model.
"""
import torch
import torch.nn.functional as F


def _ln(x, sd, key, eps=1e-6):
    return F.layer_norm(x, x.shape[-1:], sd[key + '.weight'],
                        sd[key + '.bias'], eps)


def _linear(x, sd, key):
    return F.linear(x, sd[key + '.weight'], sd[key + '.bias'])


def _dwconv(x, sd, key, **kw):
    return F.conv2d(
        x, sd[key + '.weight'], sd[key + '.bias'], groups=x.shape[1], **kw)


def _attend(q, k, v, scale):
    return ((q @ k.transpose(-2, -1)) * scale).softmax(-1) @ v


def _iwsa(x, H, W, sd, p, heads, ws):
    B, N, C = x.shape
    d = C // heads
    q, k, v = _linear(x, sd, p + 'qkv').split(C, dim=-1)
    maps = [t.reshape(B, H, W, heads, d) for t in (q, k, v)]
    out = torch.zeros(B, H, W, heads, d, dtype=x.dtype)
    for r in range(0, H, ws):
        for c in range(0, W, ws):
            qw, kw, vw = (
                m[:, r:r + ws, c:c + ws].reshape(B, -1, heads,
                                                 d).transpose(1, 2)
                for m in maps)
            h, w = min(ws, H - r), min(ws, W - c)
            o = _attend(qw, kw, vw, d**-0.5).transpose(1, 2)
            out[:, r:r + ws, c:c + ws] = o.reshape(B, h, w, heads, d)
    v_map = v.transpose(1, 2).reshape(B, C, H, W)
    lim = _dwconv(v_map, sd, p + 'lim_func', padding=1)
    out = out.reshape(B, N, C) + lim.flatten(2).transpose(1, 2)
    return _linear(out, sd, p + 'proj')


def _ssa(x, H, W, sd, p, heads, sr, c_ratio):
    B, N, C = x.shape
    d = C // heads
    scale = (d * c_ratio)**-0.5
    q = _linear(x, sd, p + 'q')
    if sr > 1:
        m = x.transpose(1, 2).reshape(B, C, H, W)
        m = _dwconv(m, sd, p + 'reduction.0', stride=sr)
        m = F.conv2d(m, sd[p + 'reduction.1.weight'],
                     sd[p + 'reduction.1.bias'])
        ctx = F.gelu(
            _ln(m.flatten(2).transpose(1, 2), sd, p + 'norm_act.0', eps=1e-5))
        k, v = _linear(ctx, sd, p + 'k'), _linear(ctx, sd, p + 'v')
    else:
        k, v = _linear(x, sd, p + 'kv').split(C, dim=-1)
    q, k, v = (
        t.reshape(B, t.shape[1], heads, -1).transpose(1, 2) for t in (q, k, v))
    out = _attend(q, k, v, scale).transpose(1, 2).reshape(B, N, C)
    return _linear(out, sd, p + 'proj')


def reference_forward(sd, config, x):
    """Stage outputs (B, C_i, H_i, W_i) and, when the state dict has a head,
    the logits. ``config`` uses the official constructor's names."""
    outs = []
    for i, C in enumerate(config['embed_dims']):
        stride, pad = (4, 3) if i == 0 else (2, 1)
        x = F.conv2d(
            x,
            sd[f'patch_embeds.{i}.proj.weight'],
            sd[f'patch_embeds.{i}.proj.bias'],
            stride=stride,
            padding=pad)
        B, _, H, W = x.shape
        t = _ln(x.flatten(2).transpose(1, 2), sd, f'patch_embeds.{i}.norm')
        for j in range(config['depths'][i]):
            p = f'stages.{i}.{j}.'
            h = _ln(t, sd, p + 'norm1')
            ws = config['wss'][i]
            if j % 2 == 0 and ws > 1:
                t = t + _iwsa(h, H, W, sd, p + 'attn.', config['num_heads'][i],
                              ws)
            else:
                t = t + _ssa(h, H, W, sd, p + 'attn.', config['num_heads'][i],
                             config['sr_ratios'][i], config['c_ratios'][i])
            h = _ln(t, sd, p + 'norm2')
            t = t + _linear(
                F.gelu(_linear(h, sd, p + 'mlp.fc1')), sd, p + 'mlp.fc2')
            if j == 0:
                m = t.transpose(1, 2).reshape(B, C, H, W)
                m = m + _dwconv(m, sd, f'pos_block.{i}.proj.0', padding=1)
                t = m.flatten(2).transpose(1, 2)
        x = t.transpose(1, 2).reshape(B, C, H, W)
        outs.append(x)
    logits = None
    if 'head.0.weight' in sd:
        t = _ln(t, sd, 'norm').mean(1)
        t = F.gelu(_ln(_linear(t, sd, 'head.0'), sd, 'head.1'))
        logits = _linear(t, sd, 'head.3')
    return outs, logits
