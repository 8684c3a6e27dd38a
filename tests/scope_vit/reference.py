"""A deliberately plain, functional ScopeViT used as the test oracle.

It reads the authors' state-dict keys directly and computes every operation
the obvious way: explicit matmul attention with per-head loops, GSDA as a
Python loop over the dilated groups that gathers the real tokens of each
group. For stage sides that are not multiples of the dilation the groups at
the end of the grid simply hold fewer tokens (no padding, no mask) - the
semantics the backbone's pad-and-mask implementation must reproduce. On
aligned sizes this is the released model.
"""
import math

import torch
import torch.nn.functional as F

KERNELS = (7, 5, 3)
EMBEDS = ('large_embed', 'medium_embed', 'small_embed')


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _bn(x, sd, key):
    return F.batch_norm(x, sd[key + '.running_mean'], sd[key + '.running_var'],
                        sd[key + '.weight'], sd[key + '.bias'], False, 0.,
                        1e-5)


def _ln(x, sd, key):
    return F.layer_norm(x, x.shape[-1:], sd[key + '.weight'],
                        sd[key + '.bias'], 1e-5)


def _linear(x, sd, key):
    return F.linear(x, sd[key + '.weight'], sd.get(key + '.bias'))


def _attend(q, k, v, scale, bias=None):
    """Per-head loop: q (n, heads, d), k/v (m, heads, d) -> (n, heads*d)."""
    outs = []
    for h in range(q.shape[1]):
        logits = (q[:, h] @ k[:, h].T) * scale
        if bias is not None:
            logits = logits + bias[h]
        outs.append(logits.softmax(-1) @ v[:, h])
    return torch.cat(outs, dim=-1)


def _mlp(t, sd, p):
    return _linear(F.gelu(_linear(t, sd, p + 'mlp.fc1')), sd, p + 'mlp.fc2')


def _mssa(t, H, W, sd, p, heads, stride, split):
    """t: LayerNorm-ed tokens (B, N, C)."""
    B, N, C = t.shape
    d = C // heads
    x = t.transpose(1, 2).reshape(B, C, H, W)
    c = p + 'mspe.cpe.'
    h = F.relu(_bn(F.conv2d(x, sd[c + 'conv_pw.weight']), sd, c + 'bn1.0'))
    h = F.conv2d(h, sd[c + 'conv_dw.weight'], padding=1, groups=h.shape[1])
    h = F.relu(_bn(h, sd, c + 'bn2.0'))
    y = x + _bn(F.conv2d(h, sd[c + 'conv_pwl.weight']), sd, c + 'bn3')
    parts, start = [], 0
    for name, kernel, n in zip(EMBEDS, KERNELS, split):
        if n == 0:
            continue
        width = n * d
        pad = ((stride - 1) + (kernel - 1)) // 2
        parts.append(
            F.conv2d(
                y[:, start:start + width],
                sd[p + 'mspe.' + name + '.weight'],
                stride=stride,
                padding=pad,
                groups=width))
        start += width
    m = torch.cat(parts, dim=1)
    q = F.linear(y.flatten(2).transpose(1, 2), sd[p + 'query.weight'])
    kv = F.linear(m.flatten(2).transpose(1, 2), sd[p + 'key_value.weight'])
    k, v = kv[..., :C], kv[..., C:]
    out = torch.stack([
        _attend(q[b].view(N, heads, d), k[b].view(-1, heads, d),
                v[b].view(-1, heads, d), d**-0.5) for b in range(B)
    ])
    return _linear(out, sd, p + 'proj'), m


def log_coords(offsets):
    """``sign(t) * log(1 + |t|)`` as float32 values (correctly rounded), as
    the released buffer."""
    return (torch.sign(offsets) * torch.log(1 + offsets.abs())).float()


def rel_pos_table(sd, p, grid, dtype):
    """The bias MLP over the log-spaced offsets: T[(dy, dx)] (dict)."""
    dh, dw = grid
    offsets = torch.tensor([[dy, dx] for dy in range(-(dh - 1), dh)
                            for dx in range(-(dw - 1), dw)],
                           dtype=torch.float64)
    coords = log_coords(offsets).to(dtype)
    hidden = F.relu(_linear(coords, sd, p + 'rel_pos.mlp.fc1'))
    table = _linear(hidden, sd, p + 'rel_pos.mlp.fc2')
    keys = [(dy, dx) for dy in range(-(dh - 1), dh)
            for dx in range(-(dw - 1), dw)]
    return dict(zip(keys, table))


def _gsda(t, H, W, sd, p, heads, dilation):
    B, N, C = t.shape
    d = C // heads
    dh, dw = _pair(dilation)
    P, Q = math.ceil(H / dh), math.ceil(W / dw)
    table = rel_pos_table(sd, p, (dh, dw), t.dtype)
    qkv = F.linear(t, sd[p + 'qkv.weight']).view(B, H, W, 3 * C)
    out = torch.zeros(B, H, W, C, dtype=t.dtype)
    for ph in range(P):
        rows = [(kh, kh * P + ph) for kh in range(dh) if kh * P + ph < H]
        for pw in range(Q):
            cols = [(kw, kw * Q + pw) for kw in range(dw) if kw * Q + pw < W]
            members = [(kh, kw, r, c) for kh, r in rows for kw, c in cols]
            n = len(members)
            bias = torch.stack([
                torch.stack(
                    [table[(i[0] - j[0], i[1] - j[1])] for j in members])
                for i in members
            ]).permute(2, 0, 1)  # (heads, n, n)
            for b in range(B):
                tokens = torch.stack([qkv[b, r, c] for _, _, r, c in members])
                q, k, v = tokens.split(C, dim=-1)
                o = _attend(
                    q.view(n, heads, d), k.view(n, heads, d),
                    v.view(n, heads, d), d**-0.5, bias)
                for idx, (_, _, r, c) in enumerate(members):
                    out[b, r, c] = o[idx]
    return _linear(out.view(B, N, C), sd, p + 'proj')


def reference_forward(sd, arch, x, debug=None):
    """Stage outputs (B, C_i, H_i, W_i) and, when the state dict has a head,
    the logits. ``arch``: our arch dict (the authors' keys plus
    ``mlp_ratios``). ``debug`` (a dict) receives the fixture's
    intermediates of the first block, for sample 0."""
    stem = 'patch_embed1.projection.'
    x = F.conv2d(x, sd[stem + '0.weight'], sd[stem + '0.bias'], 2, 1)
    x = F.gelu(_bn(x, sd, stem + '1'))
    x = _bn(
        F.conv2d(x, sd[stem + '3.weight'], sd[stem + '3.bias'], 2, 1), sd,
        stem + '4')
    if debug is not None:
        debug['patch_embed1'] = x[0]
    outs = []
    for i, C in enumerate(arch['embed_dims']):
        if i:
            pe = f'patch_embed{i + 1}.'
            x = F.conv2d(x, sd[pe + 'projection.weight'],
                         sd[pe + 'projection.bias'], 2, 1)
            x = _bn(x, sd, pe + 'norm')
        B, _, H, W = x.shape
        t = x.flatten(2).transpose(1, 2)
        for j in range(arch['depths'][i]):
            p = f'blocks{i + 1}.{j}.'
            heads = arch['num_heads'][i]
            attn, kv_map = _mssa(
                _ln(t, sd, p + 'mssa.norm1'), H, W, sd, p + 'mssa.attn.',
                heads, arch['mssa_stride'][i], arch['mssa_split'][i])
            t = t + sd[p + 'mssa.ls1.gamma'] * attn
            t = t + sd[p + 'mssa.ls2.gamma'] * _mlp(
                _ln(t, sd, p + 'mssa.norm2'), sd, p + 'mssa.')
            attn = _gsda(
                _ln(t, sd, p + 'gsda.norm1'), H, W, sd, p + 'gsda.attn.',
                heads, arch['gsda_dilation'][i])
            if debug is not None and i == 0 and j == 0:
                debug['blocks1.0.mssa.attn.mspe.key_value_tokens'] = \
                    kv_map[0].flatten(1).T
                debug['blocks1.0.mssa'] = t[0].clone()  # after both residuals
                debug['blocks1.0.gsda.attn'] = attn[0]
            t = t + sd[p + 'gsda.ls1.gamma'] * attn
            t = t + sd[p + 'gsda.ls2.gamma'] * _mlp(
                _ln(t, sd, p + 'gsda.norm2'), sd, p + 'gsda.')
        x = _bn(t.transpose(1, 2).reshape(B, C, H, W), sd, f'norm{i + 1}')
        outs.append(x)
    logits = None
    if 'head.weight' in sd:
        logits = _linear(x.mean((2, 3)), sd, 'head')
    return outs, logits
