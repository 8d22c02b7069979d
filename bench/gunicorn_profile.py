"""gunicorn configuration that profiles each worker with pyinstrument (bench/web.py --profile).

Use it with sync workers: a sync worker serves requests in the thread that forked, the
thread pyinstrument samples. Each worker writes <KOMPETENSLYFT_BENCH_PROFILE>-<pid>.txt
and .html when it exits.
"""

from __future__ import annotations

import os

_profilers: dict[int, object] = {}


def post_fork(server, worker) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    _profilers[os.getpid()] = profiler


def worker_exit(server, worker) -> None:
    profiler = _profilers.pop(os.getpid(), None)
    if profiler is None:
        return
    profiler.stop()
    base = f"{os.environ['KOMPETENSLYFT_BENCH_PROFILE']}-{os.getpid()}"
    with open(base + ".txt", "w") as handle:
        handle.write(profiler.output_text(unicode=True, color=False, show_all=False))
    with open(base + ".html", "w") as handle:
        handle.write(profiler.output_html())
