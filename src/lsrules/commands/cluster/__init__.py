"""`lsrules run --cluster`: the same run on a Dask cluster (the `cluster` extra).

`driver` plans the work and writes the outputs; `inputs` cuts the input into blocks;
`work` is what a worker runs on a block; `streams` replays stream rules partitioned by key.
Only `lsrules.commands.run` imports this package, and only when `--cluster` is given, so
the core install never needs Dask.
"""
