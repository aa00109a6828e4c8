"""`zhice controls …` and `zhice scripts …`: the manager's controls at the command line
(the same validation and ledger events as the API); `zhice demo simulate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from audit.ledger import CLI_ADMIN
from core.cli_context import console, load_settings, migrated_engine
from core.db import read_session, write_session

controls_app = typer.Typer(help="Thresholds, trigger rules, prompt canaries, taxonomy.", no_args_is_help=True)
scripts_app = typer.Typer(help="The sample-script library (legal approves through the API or /review).", no_args_is_help=True)


def _change(key: str, edit: Callable[[Any], Any]) -> None:
    from agents import controls

    with write_session(migrated_engine()) as session:
        controls.change(session, key, edit, actor=CLI_ADMIN)
    console.print(f"{key} saved (ledger: control.updated)")


def _current():
    from agents.controls import load_controls

    with read_session(migrated_engine()) as session:
        return load_controls(session, load_settings())


@controls_app.command("show")
def controls_show() -> None:
    """Print the controls in force as JSON."""
    current = _current()
    print(json.dumps({
        "thresholds": current.thresholds,
        "rules": [rule.model_dump(mode="json") for rule in current.rules],
        "canary": {agent: route.model_dump() for agent, route in current.canary.items()},
        "taxonomy_additions": [a.model_dump() for a in current.additions],
    }, ensure_ascii=False, indent=2))


@controls_app.command("threshold")
def controls_threshold(agent: str, value: Annotated[float, typer.Argument(min=0.0, max=1.0)]) -> None:
    """Set one agent's minimum confidence."""
    from agents.controls import set_thresholds

    _change("thresholds", set_thresholds({agent: value}))


@controls_app.command("rules-import")
def controls_rules_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A rules YAML (see agents/rules/rules.yaml).")]) -> None:
    """Replace the trigger rules with a YAML file's; refused whole if any rule does not compile."""
    from agents.rules import load_rules

    rules = [rule.model_dump(mode="json") for rule in load_rules(file)]
    _change("rules", lambda _current: rules)


@controls_app.command("rules-export")
def controls_rules_export() -> None:
    """Print the rules in force as YAML (edit, then rules-import)."""
    from agents.rules import dump_rules

    print(dump_rules(_current().rules), end="")


@controls_app.command("canary")
def controls_canary(
    agent: str,
    version: Annotated[int, typer.Option(min=1, help="The prompt version to try.")],
    share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of conversations (sticky); 0 ends the canary.")],
) -> None:
    """Route a share of an agent's conversations to another prompt version."""
    from agents.controls import route_canary

    _change("canary", route_canary(agent, version, share))


@controls_app.command("scenario-add")
def controls_scenario_add(key: str, label: str, cue: Annotated[list[str] | None, typer.Option(help="A cue word; repeatable.")] = None) -> None:
    """Add a scenario key to the taxonomy (the fixed keys stay)."""
    from agents.controls import add_scenario

    _change("taxonomy", add_scenario({"key": key, "label": label, "cues": cue or []}))


@controls_app.command("scenario-remove")
def controls_scenario_remove(key: str) -> None:
    """Take out a scenario a manager added (the shipped ones stay)."""
    from agents.controls import remove_scenario

    _change("taxonomy", remove_scenario(key))


@scripts_app.command("add")
def scripts_add(scenario: Annotated[str, typer.Option()], text: Annotated[str, typer.Option()]) -> None:
    """A new sample script, pending legal review (desensitized before it is kept)."""
    from knowledge import scripts
    from knowledge.desensitize import get_desensitizer

    settings = load_settings()
    masked = get_desensitizer(settings.secret_key.get_secret_value()).desensitize(text).text
    keys = set(_current().taxonomy.keys)
    with write_session(migrated_engine()) as session:
        script = scripts.create(session, scripts.ScriptDraft(scenario=scenario, text=masked).model_copy(update={"text": masked}), scenarios=keys, actor=CLI_ADMIN)
    console.print(f"script {script.id} created, pending legal review")


@scripts_app.command("list")
def scripts_list() -> None:
    from knowledge import scripts

    with read_session(migrated_engine()) as session:
        for script in scripts.listing(session):
            print(f"{script.id}\t{script.status}\tr{script.revision}\t{script.scenario}\t{script.text[:40]}")


@scripts_app.command("retire")
def scripts_retire(script_id: str) -> None:
    """Take a script out of use at once."""
    from knowledge import scripts
    from knowledge.store import get_store

    with write_session(migrated_engine()) as session:
        scripts.retire(session, get_store(load_settings()), script_id, actor=CLI_ADMIN)
    console.print(f"script {script_id} retired")


demo_app = typer.Typer(help="Synthetic demo data and behaviour.", no_args_is_help=True)


@demo_app.command("simulate")
def simulate_command(
    days: Annotated[int, typer.Option(min=1, max=400, help="Days to simulate, ending today.")] = 90,
    per_day: Annotated[int, typer.Option(min=1, max=50, help="Requests per rep and day.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    force: Annotated[bool, typer.Option(help="Simulate even into a data dir where other keys have acted.")] = False,
) -> None:
    """Drive the real suggest and action paths with synthetic reps (use a fresh data dir)."""
    from agents.demo_simulation import REPS, others_activity, simulate
    from core.errors import Conflict

    settings = load_settings()
    if not force and (others := others_activity(settings)):
        raise Conflict(
            f"数据目录 {settings.data_dir.resolve()} 里已有 {others} 条其他密钥产生的账本事件：模拟数据会混进它的审计报告。"
            "请用一个新的数据目录（zhice --data-dir 新目录 demo simulate），或加 --force 确认。"
        )
    columns = (TextColumn("模拟"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("requests", total=days * per_day * len(REPS))
        summary = simulate(settings, days=days, per_day=per_day, seed=seed, progress=lambda: progress.advance(task))
    actions = ", ".join(f"{name} {count}" for name, count in summary.actions.most_common())
    console.print(f"simulated {summary.requests} requests, {summary.suggestions} suggestions; actions: {actions}")
    console.print("now: [bold]zhice audit report --format html --out report.html[/]")


def register_commands(app: typer.Typer) -> None:
    """Add `controls`, `scripts`, `compliance` and `demo` to the root."""
    from agents.compliance.cli import compliance_app

    app.add_typer(compliance_app, name="compliance")
    app.add_typer(controls_app, name="controls")
    app.add_typer(scripts_app, name="scripts")
    app.add_typer(demo_app, name="demo")
