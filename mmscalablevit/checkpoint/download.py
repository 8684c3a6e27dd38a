"""Downloading a checkpoint once into torch's hub cache.

Written here rather than with ``torch.hub.download_url_to_file`` (which
mmengine's URL loader uses) because that one waits forever for a server
that stops answering and keeps a truncated body as the file. Here:

* a timeout: a server that sends nothing for ``timeout`` seconds (default
  60, or the environment variable ``MMSCALABLEVIT_DOWNLOAD_TIMEOUT``) ends
  the download with an error naming the URL;
* the body is written to a temporary name, its length checked against the
  server's ``Content-Length``, and only then renamed to the cache file, so
  a partial download never looks like a cached checkpoint;
* the cache file is ``<hub>/checkpoints/<hash of the URL>-<file name>``:
  two URLs with the same file name never share it;
* in distributed runs rank 0 downloads first and the others wait at a
  barrier (as mmengine does); rank 0 reaches the barrier even when its
  download fails, so no rank waits forever.
"""
import hashlib
import os
import os.path as osp
import re
import socket
import tempfile
import urllib.error
import urllib.request
from http.client import HTTPException
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

TIMEOUT_ENV = 'MMSCALABLEVIT_DOWNLOAD_TIMEOUT'
DEFAULT_TIMEOUT = 60.0
_CHUNK = 1 << 20


class DownloadError(OSError):
    """A checkpoint URL could not be downloaded."""


def default_timeout() -> float:
    """Seconds without data after which a download stops."""
    value = os.environ.get(TIMEOUT_ENV)
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except ValueError:
        timeout = -1.0
    if not timeout > 0:
        raise ValueError(
            f'{TIMEOUT_ENV}={value!r}: expected a positive number of seconds.')
    return timeout


def cache_path(url: str, model_dir=None) -> str:
    """Where ``url`` is cached: one file per URL, named after it."""
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    name = osp.basename(urlparse(url).path) or 'checkpoint.pth'
    name = re.sub(r'[^\w.-]', '_', name)
    digest = hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]
    return osp.join(model_dir, f'{digest}-{name}')


def download(url: str, dst: str, timeout=None) -> None:
    """``url`` -> ``dst`` through a temporary file; raises
    :class:`DownloadError` naming both."""
    timeout = default_timeout() if timeout is None else timeout
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    fd, partial = tempfile.mkstemp(
        dir=osp.dirname(dst) or '.',
        prefix=osp.basename(dst) + '.',
        suffix='.partial')
    try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(
                url, timeout=timeout) as response:
            expected = response.headers.get('Content-Length')
            received = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
        if expected is not None and expected.isdigit() \
                and received != int(expected):
            raise DownloadError(
                f'Download of {url} stopped after {received} of {expected} '
                f'bytes; nothing was kept as {dst}. Try again, or download '
                'it by hand and point the config at the file.')
        os.replace(partial, dst)
    except DownloadError:
        raise
    except Exception as error:
        reason = getattr(error, 'reason', error)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            why = (f'no data for {timeout:g} s (set {TIMEOUT_ENV} to wait '
                   'longer)')
        elif isinstance(error, urllib.error.HTTPError):
            why = f'HTTP {error.code} {error.reason}'
        elif isinstance(error,
                        (urllib.error.URLError, HTTPException, OSError)):
            why = f'{type(reason).__name__}: {reason}'
        else:
            raise
        raise DownloadError(
            f'Could not download checkpoint {url} to {dst}: {why}. Download '
            'it by hand and point the config at the file.') from None
    finally:
        if osp.exists(partial):
            os.remove(partial)


def read_url(url: str, model_dir=None, timeout=None) -> str:
    """The cache file of ``url``, downloaded first if needed (rank 0 first
    in distributed runs)."""
    cached = cache_path(url, model_dir)
    rank, world_size = get_dist_info()
    failure = None
    if rank == 0 and not osp.isfile(cached):
        print_log(f'Downloading {url} to {cached}', logger='current')
        try:
            download(url, cached, timeout)
        except DownloadError as error:
            failure = error
    if world_size > 1:
        barrier()
    if failure is not None:
        raise failure
    if not osp.isfile(cached):  # another node's cache
        download(url, cached, timeout)
    return cached
