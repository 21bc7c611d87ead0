"""Core statements run straight on the driver's cursor, for the few hottest paths.

SQLAlchemy's execution of a Core statement costs some 30 microseconds on top of the
driver's few (cache lookup, execution context, result object), and three times that
inside a request, where the caches are cold. Autosave and the launch run a handful of
fixed statements many times a second, so each of those is a :class:`DriverStatement`:
written as ordinary Core, compiled once per dialect by SQLAlchemy, and executed on the
DBAPI cursor of the request's :class:`~sqlalchemy.engine.Connection`, so it runs in that
connection's transaction and is committed or rolled back with everything else.

Values go through the same type processing SQLAlchemy applies (each bound value through
its column type's bind processor for the dialect, each result column through its result
processor), so what is stored and read back is exactly what a Core ``execute`` would
store and read. Driver errors are raised wrapped as SQLAlchemy's, as ``execute`` does.
Column defaults are not applied: such a statement names every value it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    #: bind names in the order the driver takes them (positional paramstyles), else None
    order: tuple[str, ...] | None
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[Any, ...]  # the result columns' types, in order


@dataclass(frozen=True, slots=True)
class DriverResult:
    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class DriverStatement:
    """A Core statement with every value a bound parameter, executed on the driver."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        #: result processors by dialect and the driver's column type codes
        self._processors: dict[tuple[str, tuple[Any, ...]], tuple[Processor, ...]] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.binds)
        binds = tuple((name, compiled.binds[name].type.dialect_impl(dialect)
                       .bind_processor(dialect)) for name in names)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        columns = getattr(self.statement, "exported_columns", None) or ()
        return _Compiled(compiled.string, order, binds, tuple(c.type for c in columns))

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> DriverResult:
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        try:
            values = {name: (process(params[name]) if process is not None else params[name])
                      for name, process in compiled.binds}
        except KeyError as missing:
            raise exc.ArgumentError(f"no value for {missing} (a DriverStatement applies no "
                                    "column default: give every value)") from None
        arguments: Sequence[Any] | Mapping[str, Any] = (
            values if compiled.order is None else [values[name] for name in compiled.order])
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            rows = cast(list[tuple[Any, ...]], cursor.fetchall() if cursor.description else [])
            rowcount = cursor.rowcount
            if rows:
                processors = self._result_processors(dialect, compiled, cursor.description)
                rows = [tuple(value if process is None else process(value)
                              for value, process in zip(row, processors, strict=True))
                        for row in rows]
        except dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(compiled.sql, arguments, error,
                                          dialect.loaded_dbapi.Error,
                                          dialect=dialect) from error
        finally:
            cursor.close()
        return DriverResult(rows, rowcount)

    def _result_processors(self, dialect: Dialect, compiled: _Compiled,
                           description: Sequence[Any]) -> tuple[Processor, ...]:
        codes = tuple(column[1] for column in description)
        key = (dialect.name, codes)
        processors = self._processors.get(key)
        if processors is None:
            processors = self._processors[key] = tuple(
                kind.dialect_impl(dialect).result_processor(dialect, code)
                for kind, code in zip(compiled.results, codes, strict=True))
        return processors
