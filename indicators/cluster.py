"""Running on a dask.distributed cluster: which scheduler dask uses, and writing a lazy array through
this process's open file without sending the file to the workers.

A graph sent to a multi-process cluster is pickled: it must hold no open dataset, lock or file handle.
The workers compute the blocks (opening the inputs themselves, through the paths or URLs in the graph);
an output file open in this process receives the blocks as they arrive, one at a time, so neither the
client nor a worker holds the whole raster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np


def distributed_client() -> Any:
    """The dask.distributed Client that ``dask.compute`` would use now, or None (local threads)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        client = default_client()
    except ValueError:  # no client in this process
        return None
    import dask

    # a client exists but a local scheduler was asked for explicitly (dask.config.set(scheduler=...))
    chosen = dask.config.get("scheduler", None)
    if chosen is not None and chosen not in ("dask.distributed", "distributed"):
        return None
    return client


def blocks_of(chunks: tuple[tuple[int, ...], ...]) -> list[tuple[tuple[int, ...], tuple[slice, ...]]]:
    """``(block index, array index)`` of every block of an array with dask *chunks*, in C order."""
    starts = [np.cumsum((0,) + tuple(c[:-1])) for c in chunks]
    return [(idx, tuple(slice(int(starts[d][i]), int(starts[d][i] + chunks[d][i])) for d, i in enumerate(idx)))
            for idx in product(*(range(len(c)) for c in chunks))]


def store_blocks(data: Any, write: Callable[[tuple[slice, ...], np.ndarray], None]) -> None:
    """Compute the dask array *data* block by block and call ``write(index, block)`` for each, in this process.

    Local threads: ``dask.array.store`` with a lock around *write* (it may touch one open file).
    A distributed cluster: one graph of all blocks (shared inputs are computed once) is sent, and each
    block is written as it completes and then released, so the workers never keep more than the blocks
    not yet written; *write* and whatever it holds open never leave this process.
    """
    import dask.array as dsa

    client = distributed_client()
    if client is None:
        lock = threading.Lock()

        class _Target:
            def __setitem__(self, key, value) -> None:
                with lock:
                    write(key, np.asarray(value))

        dsa.store(data, _Target(), lock=False)
        return
    from distributed import as_completed

    layout = blocks_of(data.chunks)
    futures = client.compute([data.blocks[idx] for idx, _ in layout])
    where = {future.key: index for future, (_, index) in zip(futures, layout)}
    for future in as_completed(futures):
        write(where[future.key], np.asarray(future.result()))
        future.release()
    del futures
