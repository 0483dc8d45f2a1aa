"""Run a benchmark's trials across a Ray cluster (`--executor ray`): the driver keeps the run folder.

Modules: connect (ray.init on loopback, nodes, slots), bundle (a codebase as a git bundle), archive (a
trial's artifacts as tar.gz), gate (one API concurrency + rate limit for the whole run), worker (what a
node runs for one trial), executor (RayExecutor, the Executor of the driver). Ray is imported lazily, so
this package imports without the `ray` extra installed.
"""

import os as _os

# Ray reads this when it is imported: without it, Ray turns 127.0.0.1 into the machine's own address and a
# loopback cluster cannot be reached (see EXECUTION.md). Set before any `import ray` of this process.
_os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
