"""`lsrules report`: decision records (from `run` or the audit store) as one HTML page.

`statistics` counts what the page shows while the records stream past, `plots` draws those
counts as inline SVG, and `page` writes the page: no script, no network, every piece of text
escaped (annotation content and messages are data from strangers).
"""
