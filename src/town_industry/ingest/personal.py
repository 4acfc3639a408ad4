"""Keyed pseudonyms for personal ID numbers (HMAC-SHA256).

The same person gets the same pseudonym in every file, so analysts can count
distinct persons; without the key nobody can go back to the ID number, and
without the key nobody can test a guessed ID number against the warehouse either.
The key comes from the Airflow variable ``person_id_hmac_key`` when Airflow has
one, else from the environment variable ``PERSON_ID_HMAC_KEY``.
"""
from __future__ import annotations

import hashlib
import hmac
import os

KEY_NAME = "person_id_hmac_key"
KEY_ENV = "PERSON_ID_HMAC_KEY"


class MissingKey(RuntimeError):
    pass


def _airflow_variable() -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(KEY_NAME, default=None)
    except Exception:  # outside a task, or no metadata database: fall back to the environment
        return None


def hmac_key() -> bytes:
    secret = _airflow_variable() or os.environ.get(KEY_ENV)
    if not secret:
        raise MissingKey(f"no pseudonymisation key: set the Airflow variable {KEY_NAME} "
                         f"or the environment variable {KEY_ENV}")
    return secret.encode("utf-8")


def pseudonym(id_number: str, key: bytes) -> str:
    """64 hex characters; upper-cases the check character so 'x' and 'X' are one person."""
    return hmac.new(key, id_number.strip().upper().encode("ascii"), hashlib.sha256).hexdigest()
