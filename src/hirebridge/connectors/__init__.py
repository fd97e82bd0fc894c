"""HRIS connectors: a hire in, the vendor's record out. Pure: no database, no API layer, no push bookkeeping.

``base`` (the protocol), ``errors`` (the error tree), ``transport`` (the HTTP client), ``fieldmap`` (per-connection
field mapping), ``registry`` (slug -> connector class), and one package per vendor with the same files:
``connector.py`` (the calls and ``raise_for_response``), ``mapping.py`` (the payload), ``auth.py`` (credentials).
"""
