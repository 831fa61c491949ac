"""Statistical secrecy that carries through aggregation.

* :mod:`~territobs.secrecy.rules`: producers' rules (CAF, Filosofi, census
  advice, a Département's own threshold), read from TOML too;
* :func:`apply_secrecy`: bounds of incomplete counts, primary suppression,
  and secondary suppression driven by the attacker's linear audit
  (:mod:`~territobs.secrecy.attack`, :mod:`~territobs.secrecy.suppression`);
* :func:`published`: the safe view exports use;
* :func:`audit`: list the disclosure risks of a table and of output files,
  with the attacker's interval of every masked figure.

Method and sources: ``docs/methods/secrecy.md``.
"""

from __future__ import annotations

from territobs.secrecy.apply import VALUE_COLUMNS, apply_secrecy, published
from territobs.secrecy.attack import Interval
from territobs.secrecy.audit import audit, read_result
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
    "Interval",
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
