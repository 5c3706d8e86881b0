"""Administration through forms (issue 10): units, accounts, catalogues and parameters.

Every change is one service call that checks the admin permission and the same rules as the
YAML has, applies the change, writes one ``admin_change`` row (``journal.record``) and commits.
"""
