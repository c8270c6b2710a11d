"""Find, read and parse scenario files (a path or a bundled name) into a :class:`Plan`."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from amsim.engine.plan import Plan, ScenarioError, build_plan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_SCENARIO = "default"


def bundled_scenarios() -> dict[str, str]:
    """Bundled scenario name -> TOML text, from the package data of ``amsim.scenarios``."""
    folder = resources.files("amsim.scenarios")
    return {
        entry.name.removesuffix(".toml"): entry.read_text()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }


def read_scenario(ref: str | None) -> tuple[str, str]:
    """``(text, source)`` of a scenario given as a file path or a bundled name (None: the default)."""
    ref = ref or DEFAULT_SCENARIO
    path = Path(ref)
    if path.is_file():
        return path.read_text(), str(path)
    bundled = bundled_scenarios()
    name = ref.removesuffix(".toml")
    if name in bundled and path.parent == Path("."):
        return bundled[name], f"bundled:{name}"
    raise ScenarioError(
        f"{ref}: no such scenario file or bundled scenario (bundled: {', '.join(bundled)})"
    )


def parse_scenario(text: str, source: str) -> Plan:
    """Parse TOML text and validate it into a :class:`Plan`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{source}: invalid TOML: {err}") from None
    return build_plan(data, text, source)


def load_scenario(ref: str | None) -> Plan:
    """Read, validate and expand a scenario; raises :class:`ScenarioError` with file and key."""
    return parse_scenario(*read_scenario(ref))
