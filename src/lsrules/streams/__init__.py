"""Stream rules (`streams:`): patterns across many annotations, per annotator, task or project.

The semantics are ours (model, windows, compiled conditions); durable-rules, from the
`stream` extra, is the runtime that receives the events and dispatches them to the rules.
The runtime is not imported unless a ruleset has a `streams:` section.
"""
