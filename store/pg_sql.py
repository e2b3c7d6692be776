"""Our SQLite-spelled statements as PostgreSQL takes them: placeholders rewritten once per
statement, values sent as text for the server to convert to the column's type (as SQLite's type
affinity converts them: `'5'` in an integer column is 5 on both engines), and the answers read
back as SQLite gives them (integers for sum(), 1 or 0 for a boolean)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import asyncpg

_TOKENS = re.compile(
    r"'(?:[^']|'')*'"  # a string literal: its ? and : are text
    r'|"(?:[^"]|"")*"'
    r"|--[^\n]*"
    r"|::"  # a cast, not a name
    r"|\?"
    r"|:([A-Za-z_]\w*)"
)


# SQLite's spellings that PostgreSQL lacks, rewritten with the placeholders: planner hints it
# does not need (INDEXED BY, a unary +), ASCII case folding of an address (its index is on
# lower(correo)), instr.
_SPELLINGS = (
    (re.compile(r"\s+INDEXED BY \w+"), ""),
    (re.compile(r"([\w.]+) = (\$\d+) COLLATE NOCASE"), r"lower(\1) = lower(\2)"),
    (re.compile(r"\binstr\("), "strpos("),
    (re.compile(r"(?<=AND )\+(?=\w)"), ""),  # `+status`: SQLite's "not by this column's index"
)


class Statement:
    """A statement of ours rewritten once for PostgreSQL: `?` (in order) and `:name` become
    `$1…$n`; `bind` lays the parameters out in that order."""

    _cache: ClassVar[dict[str, Statement]] = {}

    def __init__(self, sql: str) -> None:
        names: list[str | None] = []
        positional = 0
        out: list[str] = []
        last = 0
        for match in _TOKENS.finditer(sql):
            token = match.group(0)
            if token == "?":
                positional += 1
                names.append(None)
                replacement = f"${len(names)}"
            elif match.group(1):
                name = match.group(1)
                if name in names:
                    replacement = f"${names.index(name) + 1}"
                else:
                    names.append(name)
                    replacement = f"${len(names)}"
            else:
                continue
            out.append(sql[last : match.start()])
            out.append(replacement)
            last = match.end()
        out.append(sql[last:])
        self.sql = "".join(out)
        for pattern, replacement in _SPELLINGS:
            self.sql = pattern.sub(replacement, self.sql)
        self.names = names
        head = self.sql.lstrip().split(None, 1)[0].upper() if self.sql.strip() else ""
        self.returns_rows = head in ("SELECT", "WITH", "VALUES") or " RETURNING " in (
            " " + self.sql.upper().replace("\n", " ") + " "
        )

    @classmethod
    def of(cls, sql: str) -> Statement:
        found = cls._cache.get(sql)
        if found is None:
            if len(cls._cache) > 4096:
                cls._cache.clear()  # statements built with IN (?, ?, …) of many lengths
            found = cls._cache[sql] = cls(sql)
        return found

    def bind(self, params: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        if isinstance(params, Mapping):
            return [_value(params[name]) for name in self.names]  # type: ignore[index]
        values = [_value(value) for value in params]
        if len(values) != len(self.names):
            raise ValueError(f"{len(self.names)} placeholders, {len(values)} values: {self.sql}")
        return values


def _value(value: Any) -> Any:
    """What SQLite would store for a Python value: True is 1, text stays text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, bytes):
        return value
    raise TypeError(f"cannot store {type(value).__name__}")


def _number(text: str) -> int | float:
    """sum() and avg() of integers are `numeric` in PostgreSQL; SQLite answers int or float."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


async def configure(conn: asyncpg.Connection) -> None:
    # Every value goes as text: the server converts it to the column's type (see module doc).
    for name in ("int2", "int4", "int8", "float4", "float8", "text", "varchar"):
        decoder = int if name.startswith("int") else float if name.startswith("float") else str
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=str, decoder=decoder, format="text"
        )
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_number, format="text"
    )
    # A boolean expression (`count(*) > 0`) reads as SQLite's 1 or 0.
    await conn.set_type_codec(
        "bool",
        schema="pg_catalog",
        encoder=str,
        decoder=lambda text: int(text == "t"),
        format="text",
    )
