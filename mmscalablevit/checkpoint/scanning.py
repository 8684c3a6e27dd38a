"""Checking a checkpoint file before torch reads it.

torch's ``weights_only`` unpickler runs no code, but a few kilobytes can
still make it, or what it returns, take unbounded memory or time. Three
such files are refused here, by reading the zip directory and walking the
pickle's opcodes (no object is built; linear in the pickle):

* a compressed zip member: ``torch.save`` writes none, and torch inflates
  one whatever its size (a zip bomb);
* the global ``bytearray``, which torch allows: ``bytearray(n)`` allocates
  n bytes from a few;
* a tuple whose nested tuples, counted as often as they are referenced,
  exceed :data:`MAX_TUPLE_NODES`: tuples that share their children through
  the pickle memo (``X[k] = (X[k-1], X[k-1])``) take a kilobyte to write,
  and hashing one (a dict key, a set item) visits every path, 2**depth.

Anything else that is not a checkpoint is left to torch, which names it.
"""
import pickletools
import zipfile

MAX_TUPLE_NODES = 1 << 22
# globals torch allows that could allocate memory without bound
_AMPLIFIERS = {'builtins bytearray', '__builtin__ bytearray'}
# torch's legacy format: magic number, protocol, sys info, the objects
_LEGACY_PICKLES = 4
_MARK = object()


class ScanRefusal(Exception):
    """What a scan refused (the reader names the file)."""


def _scan_pickle(stream) -> None:
    """Walk one pickle's opcodes, keeping only the node count of each
    stack entry that is a tuple (1 for anything else)."""
    stack, memo = [], {}
    for opcode, arg, _ in pickletools.genops(stream):
        name = opcode.name
        if name == 'STOP':
            return
        if name == 'GLOBAL' and arg in _AMPLIFIERS:
            raise ScanRefusal(
                f'it names the global {arg.replace(" ", ".")}, which '
                'allocates as many bytes as the file asks for')
        if name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
            memo[arg] = stack[-1]
            continue
        if name == 'MEMOIZE':
            memo[len(memo)] = stack[-1]
            continue
        if name in ('GET', 'BINGET', 'LONG_BINGET'):
            stack.append(memo.get(arg, 1))
            continue
        if name == 'MARK':
            stack.append(_MARK)
            continue
        before = [s.name for s in opcode.stack_before]
        items = []
        if 'mark' in before:
            while stack[-1] is not _MARK:
                items.append(stack.pop())
            stack.pop()
            before = before[:before.index('mark')]
        elif name in ('TUPLE1', 'TUPLE2', 'TUPLE3'):
            items = [stack.pop() for _ in range(int(name[-1]))]
            before = []
        for _ in before:
            stack.pop()
        if name in ('TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3'):
            nodes = 1 + sum(items)
            if nodes > MAX_TUPLE_NODES:
                raise ScanRefusal(
                    f'it holds a tuple of more than {MAX_TUPLE_NODES} nested '
                    'tuples (shared through the pickle memo; hashing it '
                    'would take 2**depth steps)')
            stack.append(nodes)
        else:
            stack.extend(1 for _ in opcode.stack_after)


def check_file(filename: str, size: int) -> None:
    """Raise :class:`ScanRefusal` for the files above; return for any
    other, checkpoint or not."""
    try:
        if zipfile.is_zipfile(filename):
            with zipfile.ZipFile(filename) as archive:
                members = archive.infolist()
                for member in members:
                    if member.compress_type != zipfile.ZIP_STORED:
                        raise ScanRefusal(
                            f'its zip member {member.filename!r} is '
                            'compressed (torch.save writes none; a '
                            'compressed member can expand without bound)')
                pickles = [
                    m for m in members if m.filename.endswith('/data.pkl')
                ]
                if len(pickles) == 1 and pickles[0].file_size <= size:
                    with archive.open(pickles[0]) as stream:
                        _scan_pickle(stream)
        else:
            with open(filename, 'rb') as stream:
                for _ in range(_LEGACY_PICKLES):
                    _scan_pickle(stream)
    except ScanRefusal:
        raise
    except Exception:  # not a zip, not a pickle, malformed: torch names it
        return
