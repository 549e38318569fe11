"""lsrules against hand-written Python and peer rule engines (issue 5); run bench/compare.py.

Modules: `workload` (seeded Label Studio annotations for three projects), `ruleset.yaml`
(the 25 shared rules in lsrules' language) with `meta` (what every contender reads from
it), `hand` (the same rules written by hand: the limit), one module per contender, and
`runner` (agreement check, timing, load time, memory).
"""
