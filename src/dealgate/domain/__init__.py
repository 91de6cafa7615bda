"""The pure domain: process, deal, commitments, gate, review, audit, coaching.

Nothing here imports storage, web or CLI code, and nothing reads the clock:
every rule that depends on time takes the time as an argument.
"""
