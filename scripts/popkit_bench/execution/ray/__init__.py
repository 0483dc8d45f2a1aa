"""Run a benchmark's trials across a Ray cluster (`--executor ray`): the driver keeps the run folder.

Modules: connect (ray.init on loopback, nodes, slots), bundle (a codebase as a git bundle), archive (a
trial's artifacts as tar.gz), gate (one API concurrency + rate limit for the whole run), worker (what a
node runs for one trial), executor (RayExecutor, the Executor of the driver). Ray is imported lazily, so
this package imports without the `ray` extra installed.
"""
