"""What pg_dump's catalogue walk needs beyond psql's: the ``tableoid`` system column,
``'pg_class'::regclass`` constants and ``unnest('{1,2}'::oid[]) AS src(x)`` row sources.

The oids are PostgreSQL 15's own (``SELECT oid FROM pg_class WHERE relname = ...``), so the
classid/refclassid pairs pg_dump compares come out as on a real server.
"""

from __future__ import annotations

import json

from sqlglot import exp

#: pg_class.oid of the system catalogues pg_dump reads (PostgreSQL 15)
CATALOG_OIDS = {
    "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259,
    "pg_authid": 1260, "pg_database": 1262, "pg_foreign_server": 1417, "pg_user_mapping": 1418,
    "pg_default_acl": 826, "pg_am": 2601, "pg_amop": 2602, "pg_amproc": 2603,
    "pg_attrdef": 2604, "pg_cast": 2605, "pg_constraint": 2606, "pg_conversion": 2607,
    "pg_depend": 2608, "pg_description": 2609, "pg_index": 2610, "pg_inherits": 2611,
    "pg_language": 2612, "pg_largeobject": 2613, "pg_namespace": 2615, "pg_opclass": 2616,
    "pg_operator": 2617, "pg_rewrite": 2618, "pg_trigger": 2620, "pg_opfamily": 2753,
    "pg_foreign_data_wrapper": 2328, "pg_extension": 3079, "pg_foreign_table": 3118,
    "pg_policy": 3256, "pg_statistic_ext": 3381, "pg_collation": 3456, "pg_event_trigger": 3466,
    "pg_enum": 3501, "pg_range": 3541, "pg_transform": 3576, "pg_ts_dict": 3600,
    "pg_ts_parser": 3601, "pg_ts_config": 3602, "pg_ts_template": 3764, "pg_seclabel": 3596,
    "pg_init_privs": 3394, "pg_partitioned_table": 3350, "pg_sequence": 2224,
    "pg_largeobject_metadata": 2995, "pg_publication": 6104, "pg_publication_rel": 6106,
    "pg_publication_namespace": 6237, "pg_subscription": 6100,
}  # fmt: skip
#: regnamespace constants
NAMESPACE_OIDS = {"pg_catalog": 11, "pg_toast": 99, "public": 2200, "information_schema": 13207}


def _tables_in_scope(node: exp.Expr) -> list[exp.Table]:
    select = node.find_ancestor(exp.Select)
    if select is None:
        return []
    out: list[exp.Table] = []
    for key in ("from", "from_", "joins"):
        part = select.args.get(key)
        for item in part if isinstance(part, list) else [part]:
            if isinstance(item, exp.Expr):
                t = item.this
                if isinstance(t, exp.Table):
                    out.append(t)
    return out


def tableoid(node: exp.Column) -> exp.Expr | None:
    """``x.tableoid``: the oid of the catalogue ``x`` stands for (a constant per table)."""
    if node.name.lower() != "tableoid":
        return None
    tables = _tables_in_scope(node)
    qualifier = node.table
    for t in tables:
        if not qualifier or t.alias_or_name == qualifier:
            return exp.Literal.number(CATALOG_OIDS.get(t.name.lower(), 0))
    return None


def regclass(node: exp.Cast) -> exp.Expr | None:
    """``'pg_class'::regclass`` / ``'pg_catalog'::regnamespace`` as the oid they name."""
    to = node.to.sql("postgres").lower()
    value = node.this
    if not isinstance(value, exp.Literal) or not value.is_string:
        return None
    name = value.this.split(".")[-1].strip('"').lower()
    if to == "regclass":
        oid = CATALOG_OIDS.get(name)
    elif to == "regnamespace":
        oid = NAMESPACE_OIDS.get(name)
    else:
        return None
    return exp.Literal.number(oid) if oid is not None else None


def unnest(node: exp.Unnest | exp.Table) -> exp.Expr | None:
    """``unnest(arr) AS src(x)`` in FROM (``pg_catalog.unnest(arr) x`` reads as a Table
    over an Explode): SQLite's json_each over the array's text form (``pg_array_json``);
    references to ``x`` (or to ``src`` itself) become ``src.value``."""
    if isinstance(node, exp.Table):
        if not isinstance(node.this, exp.Explode):
            return None
        arg = node.this.this
    elif len(node.expressions) == 1:
        arg = node.expressions[0]
    else:
        return None
    while isinstance(arg, exp.Cast):
        arg = arg.this
    alias = node.args.get("alias")
    name, column = "unnest", None
    if isinstance(alias, exp.TableAlias):
        name = alias.name or name
        if alias.columns:
            column = alias.columns[0].name
    select = node.find_ancestor(exp.Select)
    if select is not None:
        for col in list(select.find_all(exp.Column)):
            if col.name == (column or name) and col.table in ("", name):
                col.replace(exp.column("value", table=name))
    source = exp.Anonymous(
        this="json_each", expressions=[exp.Anonymous(this="pg_array_json", expressions=[arg])]
    )
    return exp.Table(this=source, alias=exp.TableAlias(this=exp.to_identifier(name)))


def pg_array_json(value: object) -> str:
    """'{1,2}' -> '[1,2]', '{a,"b c"}' -> '["a","b c"]', NULL -> '[]'."""
    if value is None:
        return "[]"
    t = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    body = t[1:-1] if t.startswith("{") and t.endswith("}") else t
    items = [i.strip().strip('"') for i in body.split(",")] if body else []
    out = [int(i) if i.lstrip("-").isdigit() else (None if i == "NULL" else i) for i in items]
    return json.dumps(out)


def subscript(node: exp.Bracket) -> exp.Expr | None:
    """``value[i]`` as ``pg_subscript(value, i)`` on the engine's text forms (sqlglot has
    already taken one off a literal index)."""
    if len(node.expressions) != 1 or not isinstance(node.this, exp.Expr):
        return None
    index = node.expressions[0]
    literal = index.this if isinstance(index, exp.Neg) else index
    if isinstance(literal, exp.Literal) and not literal.is_string:
        value = int(literal.this) * (-1 if isinstance(index, exp.Neg) else 1) + 1
        index = exp.Literal.number(value)
    return exp.Anonymous(this="pg_subscript", expressions=[node.this, index])


def pg_subscript(value: object, index: object) -> str | None:
    """An element of an array's text form ('{a,b}', 1-based), of an int2vector/oidvector
    ('1 2', 0-based) or a character of a name (0-based); NULL when out of range."""
    if value is None or index is None:
        return None
    try:
        i = int(str(index))
    except ValueError:
        return None
    t = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if t.startswith("{") and t.endswith("}"):
        items, i = [x for x in t[1:-1].split(",") if x], i - 1
    elif " " in t.strip() or t.strip().lstrip("-").isdigit():
        items = t.split()
    else:
        items = list(t)
    return items[i] if 0 <= i < len(items) else None


def options_table(node: exp.Table) -> exp.Expr | None:
    """``pg_options_to_table(x)`` in FROM: no options on the fake objects, so no rows."""
    fn = node.this
    if not isinstance(fn, exp.Anonymous) or fn.name.lower() != "pg_options_to_table":
        return None
    empty: exp.Expr = exp.maybe_parse(
        "SELECT NULL AS option_name, NULL AS option_value WHERE 0", dialect="sqlite"
    )
    return exp.Subquery(
        this=empty, alias=exp.TableAlias(this=exp.to_identifier(node.alias_or_name))
    )


def array_agg(node: exp.ArrayAgg | exp.Anonymous) -> exp.Expr | None:
    """array_agg(x [ORDER BY ...]) as the array's text form '{a,b}' (NULL over no rows);
    SQLite 3.40 has no ORDER BY inside an aggregate, so rows come in scan order."""
    if isinstance(node, exp.Anonymous):
        if node.name.lower() != "array_agg" or len(node.expressions) != 1:
            return None
        value = node.expressions[0]
    else:
        value = node.this
    if isinstance(value, exp.Order):
        value = value.this
    agg = exp.Anonymous(this="group_concat", expressions=[value, exp.Literal.string(",")])
    return exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string("{"), expression=agg),
        expression=exp.Literal.string("}"),
    )
