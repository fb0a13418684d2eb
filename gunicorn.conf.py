"""gunicorn's settings, read from the directory it starts in (the checkout: README's command, bench/run.py).

Each worker, once it has loaded the app, moves every object it holds into the garbage collector's permanent
generation (gc.freeze): the modules, the app, the workflow engine's classes are never garbage, and a full
collection no longer walks them. A worker holds some hundreds of thousands of them; a 1,000-item bulk request
keeps enough new objects alive to set off a full collection every few requests, which walked them all (~90 ms
each on this 2-core machine, against ~65 ms of CPU for the request itself). Objects made after the freeze are
collected as before.
"""

import gc


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's Worker
    gc.collect()
    gc.freeze()
