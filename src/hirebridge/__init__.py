"""hirebridge: moves candidate data between hiring systems, exactly once in effect.

Data flows one way through the packages:
inbound APIs (``partner``, ``ats``) -> core records (``core``) -> delivery jobs (``delivery``)
-> one connector per vendor (``hris``) -> the HRIS (or, for the demo and the tests, ``sandbox``).
"""

__version__ = "0.1.0"
