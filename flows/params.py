"""The backfill's parameters: typed for the Prefect UI's Custom run form, checked in one place.

- Dates are plain `date`s and the symbols a list of strings, with no "or None" in the schema
  (`SkipJsonSchema`): the form shows date pickers and a list, not a type chooser set to "None".
- A symbol field accepts a pasted list, one a line or separated by commas, semicolons or spaces,
  so a column copied from a spreadsheet or an e-mail goes in as it is.
- A backfill needs a start date or at least one symbol. `BackfillRequest` says so when the flow
  starts; `require_start_or_symbols` puts the same rule in the deployment's parameter schema
  (`python -m flows.params`, run by scripts/deploy.sh), so the server and the form refuse an
  empty form before a run is created.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema

EMPTY = "a backfill needs a start date (and optionally an end date) or at least one symbol"
_SEPARATORS = re.compile(r"[\s,;]+")


def split_symbols(value: object) -> object:
    """'A/61/515, A/RES/73/195\\nA/C.3/78/L.49' or a list of such strings -> one symbol each,
    in order, without blanks or repeats. Anything else is left for pydantic to refuse."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            return value
        out.extend(s for s in _SEPARATORS.split(item) if s)
    return list(dict.fromkeys(out))


Date = dt.date | SkipJsonSchema[None]
Symbols = Annotated[list[str] | SkipJsonSchema[None], BeforeValidator(split_symbols)]


class BackfillRequest(BaseModel):
    """What a backfill was asked to load: a period, or a list of symbols."""

    start: dt.date | None = None
    end: dt.date | None = None
    symbols: Annotated[list[str], BeforeValidator(split_symbols)] = []

    @model_validator(mode="after")
    def _something_to_load(self) -> BackfillRequest:
        if not self.symbols and self.start is None:
            raise ValueError(EMPTY)
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the end date {self.end} is before the start date {self.start}")
        return self

    @classmethod
    def checked(cls, **values: Any) -> BackfillRequest:
        """The request, or a ValueError carrying only the rule that was broken."""
        if values.get("symbols") is None:
            values["symbols"] = []
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            reasons = [e["msg"].removeprefix("Value error, ") for e in exc.errors()]
            raise ValueError("; ".join(reasons)) from None


def require_start_or_symbols(schema: dict[str, Any]) -> dict[str, Any]:
    """The backfill's parameter schema as the deployment should hold it:

    - no `"default": null` on the optional fields: the form sends `null` for a field left
      empty, which Prefect's validation accepts only for a field without a default (it then
      reads the field as "string or null"), while the form still draws the plain type (a date
      picker, not a type chooser);
    - the rule that a start date or a symbol is needed: with no symbol, `start` must be a date
      (the form marks the start date field)."""
    no_symbols = {
        "anyOf": [
            {"not": {"required": ["symbols"]}},
            {"properties": {"symbols": {"type": "null"}}, "required": ["symbols"]},
            {"properties": {"symbols": {"type": "array", "maxItems": 0}},
             "required": ["symbols"]},
        ]
    }
    out = dict(schema)
    out["if"] = no_symbols
    out["then"] = {"required": ["start"],
                   "properties": {"start": {"type": "string", "format": "date"}}}
    props = {}
    for name, prop in out.get("properties", {}).items():
        prop = dict(prop)
        if "default" in prop and prop["default"] is None:
            del prop["default"]
        props[name] = prop
    for name, text in (
        ("start", "First date of the period, e.g. 2011-01-01; needed unless symbols are given."),
        ("symbols", "Document symbols to load instead of a period; paste a list, one a line or "
                    "separated by commas or spaces."),
    ):
        if name in props:
            props[name] = {**props[name], "description": text}
    out["properties"] = props
    return out


def apply_to_deployment(name: str = "backfill/backfill") -> None:
    """Put the rule on the deployed backfill's schema (after `prefect deploy`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        schema = require_start_or_symbols(deployment.parameter_openapi_schema or {})
        client.update_deployment(
            deployment.id, DeploymentUpdate(parameter_openapi_schema=schema)
        )
    print(f"{name}: a start date or at least one symbol is required")


if __name__ == "__main__":
    apply_to_deployment(*sys.argv[1:])
