"""Live in Label Studio: the webhook service, the worker, write-backs, connect, sync, audit.

The only part of lsrules that imports `label_studio_sdk` (lazily, from `writeback.py`):
install it with the `labelstudio` extra.
"""
