"""The project's alerts as code: apply `automations.yaml` to the Prefect server.

    python -m flows.alerts [--file automations.yaml]

talks to the server at PREFECT_API_URL (scripts/deploy.sh runs it for `make serve`). Each
automation is created, or replaced by the file's version when one of that name exists, so
running it again changes nothing and the file stays the single definition.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import AutomationCore

AUTOMATIONS_FILE = Path(__file__).resolve().parent.parent / "automations.yaml"


def load_automations(path: Path = AUTOMATIONS_FILE) -> list[AutomationCore]:
    """The automations of a file in `prefect automation create --from-file` form, validated."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data["automations"] if isinstance(data, dict) and "automations" in data else data
    automations = [AutomationCore.model_validate(item) for item in items]
    names = [a.name for a in automations]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: automation names must be unique (they are the keys)")
    # Every field counts as given, so an update replaces what the server holds rather than
    # keeping, say, actions someone added in the UI that the file does not have. Not the
    # owner: the server takes it at creation only and refuses it in an update.
    given = set(AutomationCore.model_fields) - {"owner_resource"}
    return [AutomationCore.model_construct(_fields_set=given, **dict(a)) for a in automations]


def apply_automations(automations: list[AutomationCore]) -> dict[str, str]:
    """Create or replace each automation by name; returns what happened to each."""
    done: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        for automation in automations:
            existing = client.read_automations_by_name(automation.name)
            if not existing:
                client.create_automation(automation)
                done[automation.name] = "created"
                continue
            keep, *duplicates = existing
            client.update_automation(keep.id, automation)
            # Left behind by a `prefect automation create` of the same file: one alert, not two.
            for extra in duplicates:
                client.delete_automation(extra.id)
            done[automation.name] = "updated"
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Apply the project's Prefect automations.")
    parser.add_argument("--file", type=Path, default=AUTOMATIONS_FILE)
    args = parser.parse_args(argv)
    for name, what in apply_automations(load_automations(args.file)).items():
        print(f"automation {what}: {name}")


if __name__ == "__main__":
    main()
