"""Statistical secrecy that carries through aggregation.

* :mod:`~territobs.secrecy.rules`: producers' rules (CAF, Filosofi, census
  advice, a Département's own threshold), read from TOML too;
* :func:`apply_secrecy`: bounds of incomplete counts, primary suppression,
  differencing check and secondary suppression on the tidy result;
* :func:`published`: the safe view exports use;
* :func:`audit`: list the disclosure risks of a table and of output files.

Method and sources: ``docs/methods/secrecy.md``.
"""

from __future__ import annotations

from territobs.secrecy.apply import VALUE_COLUMNS, apply_secrecy, published
from territobs.secrecy.audit import audit, read_result
from territobs.secrecy.differencing import Disclosure
from territobs.secrecy.rules import (
    BUILTIN_RULES,
    CAF,
    FILOSOFI,
    RP,
    SecrecyRule,
    departement,
    governing_counts,
    rule_from_mapping,
    rules_from_catalog,
    rules_from_toml,
)

__all__ = [
    "BUILTIN_RULES",
    "CAF",
    "FILOSOFI",
    "RP",
    "VALUE_COLUMNS",
    "Disclosure",
    "SecrecyRule",
    "apply_secrecy",
    "audit",
    "departement",
    "governing_counts",
    "published",
    "read_result",
    "rule_from_mapping",
    "rules_from_catalog",
    "rules_from_toml",
]
