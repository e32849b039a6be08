"""Running per-chunk work on a Dask cluster and streaming the small results back.

activetext sends each worker the *description* of its work (the classifier, the strategy, the dataset's file
paths, the chunk's indices), never the features: an on-disk dataset
(:class:`~activetext.data.ondisk.MemmapDataset`, :class:`~activetext.data.ondisk.ChunkedSparseDataset`) pickles as
its path, and the worker reads its own rows. Results come back as they finish and are merged at once, so the
client holds one merged result plus the results in flight.

``dask.distributed`` is imported only when a cluster is used (``pip install "activetext[scale]"``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable
from typing import Any

from activetext.exceptions import InvalidArgumentError, MissingDependencyError

__all__ = ["connect", "map_chunks"]


def _import_distributed() -> Any:
    if importlib.util.find_spec("distributed") is None:
        raise MissingDependencyError(
            'scoring on a Dask cluster needs dask.distributed, which is not installed: pip install "activetext[scale]"'
        )
    import distributed

    return distributed


def connect(client: Any) -> Any:
    """Return a ``distributed.Client`` for ``client``: a client is returned as it is, an address is connected to.

    Parameters
    ----------
    client : distributed.Client or str
        A connected client, or a scheduler address such as ``"tcp://10.0.0.5:8786"``.

    Returns
    -------
    distributed.Client
    """
    distributed = _import_distributed()
    if isinstance(client, distributed.Client):
        return client
    if isinstance(client, str) and client:
        return distributed.Client(client, set_as_default=False)
    raise InvalidArgumentError(
        f"client must be a distributed.Client or a scheduler address (str), got {client!r} ({type(client).__name__})"
    )


def map_chunks(
    client: Any,
    function: Callable[..., Any],
    pieces: Iterable[Any],
    shared: tuple[Any, ...],
    merge: Callable[[Any], None],
) -> int:
    """Run ``function(piece, *shared)`` on the cluster for every piece; pass each result to ``merge`` as it arrives.

    ``shared`` objects (a classifier, a strategy, a dataset description) are sent to every worker once, not once
    per piece. A task that fails raises its error here, after the tasks still running are cancelled.

    Parameters
    ----------
    client : distributed.Client
        The cluster.
    function : callable
        A module-level function (workers import it by name).
    pieces : iterable
        One argument per task, for example the indices of one chunk.
    shared : tuple
        Further arguments, the same for every task.
    merge : callable
        Called in the client's process with each result, in the order tasks finish.

    Returns
    -------
    int
        The number of tasks run.
    """
    distributed = _import_distributed()
    scattered = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
    futures = [client.submit(function, piece, *scattered, pure=False) for piece in pieces]
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            merge(future.result())
            future.release()
    finally:
        client.cancel([future for future in futures if not future.done()])
    return len(futures)
