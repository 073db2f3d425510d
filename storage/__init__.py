"""The tables, their migrations, and the queries: one module per aggregate (`users`, `runs`,
`answers`, `goals`, `updates`).

Each query takes the caller's session and at most flushes: the service owns the transaction (one
per answer). Results are small frozen dataclasses, never ORM objects.
"""
