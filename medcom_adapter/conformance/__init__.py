"""Agreement with MedCom: which rules we check, how severe each is, and where it comes from.

Reading is never stricter than MedCom: a message is invalid only where MedCom's schemas,
profiles or written rules make it so; our own checks are warnings. Building is strict.
"""
