"""Chunks of a job as dask.distributed tasks (``--dask ADDRESS`` or ``--dask local[:N]``).

The only module that imports dask; :func:`aigap.workflow.partial.chunk_runner` imports it
when ``--dask`` is given, so without it nothing changes. The job draws its whole design in
the client (from its seed) and hands :func:`dask_runner` a task function, one shared
context (model, base parameters, outputs: scattered once to every worker, so each worker
deserialises the model and loads its compiled kernel once) and one small argument per
chunk (its rows of the design). Results come back per chunk as they finish
(``as_completed``) and the job writes them with the same chunk-writing and resume code as
in-process. Chunks are submitted as earlier ones finish, a few per worker ahead
(``IN_FLIGHT``), so a 10M-run sweep never has all its chunk arguments in memory. A task on a lost worker is recomputed by the scheduler; ``RETRIES`` more
attempts are allowed when a task itself fails.
"""

from __future__ import annotations

import contextlib
import itertools
import os

from ..scenarios import InputError

__all__ = ["parse_address", "dask_runner", "RETRIES", "CONNECT_TIMEOUT"]

RETRIES = 3  # extra attempts of a failed task (a lost worker's are re-run anyway)
CONNECT_TIMEOUT = "5s"  # an unreachable scheduler is reported after this long
IN_FLIGHT = 3  # chunk tasks submitted ahead per worker


def parse_address(text: str):
    """``("local", workers)`` for ``local`` / ``local:N`` (workers None: one per core), else
    ``("scheduler", address)``; InputError for an empty or malformed value."""
    text = (text or "").strip()
    if not text:
        raise InputError(
            ["--dask: expected a scheduler address (tcp://HOST:8786) or local[:WORKERS]"]
        )
    if text == "local" or text.startswith("local:"):
        n = text.partition(":")[2]
        if not n:
            return "local", None
        if not n.isdigit() or int(n) < 1:
            raise InputError([f"--dask {text}: expected local:WORKERS with WORKERS >= 1"])
        return "local", int(n)
    return "scheduler", text


def _import():
    try:
        import distributed
    except ImportError as exc:
        raise InputError(
            [
                f"--dask: dask.distributed cannot be imported ({exc}); install it "
                "with `pip install aigap[dask]`"
            ]
        ) from None
    return distributed


@contextlib.contextmanager
def dask_runner(address: str, progress=None, processes: bool = True):
    """``with dask_runner(address) as run:``; ``run(fn, context, items)`` yields
    ``(key, fn(context, item))`` for every ``key, item`` of the dict ``items``, in the order
    the chunks finish. ``run.info`` is a dict for the manifest (scheduler, workers).

    Parameters
    ----------
    address : str
        ``local[:N]`` (a LocalCluster of N one-thread worker processes, stopped at the end)
        or a scheduler's address.
    progress : callable, optional
        Called with one line of text (where the job is running).
    processes : bool
        LocalCluster only: worker processes (default) or threads of this process.
    """
    kind, value = parse_address(address)
    distributed = _import()
    with contextlib.ExitStack() as stack:
        if kind == "local":
            n = value or os.cpu_count() or 1
            # one thread per worker and one numba thread per task: a worker is a core
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=":0",
                    env={"NUMBA_NUM_THREADS": "1"},
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(value, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    [
                        f"--dask {value}: cannot reach a Dask scheduler there "
                        f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                        "start one with `dask scheduler` or use --dask local:2"
                    ]
                ) from None
        runner = _Runner(client, distributed, address)
        if progress is not None:
            progress(f"dask: {runner.info['workers']} workers at {runner.info['scheduler']}")
        yield runner


class _Runner:
    """Submit chunk tasks and yield their results as they complete."""

    def __init__(self, client, distributed, address):
        self.client = client
        self._distributed = distributed
        workers = (
            client.scheduler_info(n_workers=-1).get("workers", {})
            if _takes_n_workers(client)
            else client.scheduler_info().get("workers", {})
        )
        self.info = {
            "address": address,
            "scheduler": client.scheduler.address,
            "workers": len(workers),
            "retries": RETRIES,
        }
        self._shared = None  # (context, its future on the workers)
        self._calls = 0  # tasks submitted: unique keys across calls

    def __call__(self, fn, context, items):
        """Yield ``(key, fn(context, item))`` as tasks finish. ``items``: a dict or an
        iterable of ``(key, item)`` pairs, drawn lazily: at most :meth:`window` tasks are
        in flight, a new one submitted as each finishes, so neither this process nor the
        scheduler holds the arguments of every chunk at once."""
        from .partial import chunk_items

        pending = chunk_items(items)
        futures = {}
        ac = self._distributed.as_completed()
        name = getattr(fn, "__name__", "chunk")

        def submit(n):
            for key, item in itertools.islice(pending, n):
                shared = self._scatter(context)
                self._calls += 1
                fut = self.client.submit(
                    fn,
                    shared,
                    item,
                    retries=RETRIES,
                    pure=False,
                    key=f"{name}-{key}-{os.getpid()}-{id(shared)}-{self._calls}",
                )
                futures[fut] = key
                ac.add(fut)

        try:
            submit(self.window())
            for fut in ac:
                key = futures.pop(fut)
                result = fut.result()
                fut.release()
                submit(1)
                yield key, result
        finally:
            if futures:
                self.client.cancel(list(futures))

    def _scatter(self, context):
        """The context's future on every worker: scattered once, reused by later calls
        with the same object (a posterior's many batches share one model)."""
        if self._shared is None or self._shared[0] is not context:
            self._shared = (context, self.client.scatter(context, broadcast=True, hash=False))
        return self._shared[1]

    def window(self) -> int:
        """Tasks kept in flight: ``IN_FLIGHT`` per worker (so none idles while a result
        travels back), at least 4."""
        return max(4, IN_FLIGHT * self.info["workers"])


def _takes_n_workers(client) -> bool:
    import inspect

    try:
        return "n_workers" in inspect.signature(client.scheduler_info).parameters
    except (TypeError, ValueError):
        return False
