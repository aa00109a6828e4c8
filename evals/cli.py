"""`zhice eval …`: run an evaluation and print its numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.cli_context import load_settings

eval_app = typer.Typer(help="Evaluations on the datasets in evals/datasets.", no_args_is_help=True)
SplitOption = Annotated[str, typer.Option(help="dev, heldout or all. Never tune on heldout: look at its errors only to report them.")]
ShowErrors = Annotated[bool, typer.Option(help="List every error (misses and false alarms).")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _chosen(split: str, splits: tuple[str, ...]) -> tuple[str, ...]:
    """The splits a --split option names: one of ``splits``, or all of them."""
    if split not in (*splits, "all"):
        raise typer.BadParameter(f"split must be one of {', '.join(splits)} or all")
    return splits if split == "all" else (split,)


@eval_app.command("pii")
def pii(split: SplitOption = "dev", show_errors: ShowErrors = False, json_out: JsonOut = False) -> None:
    """Per-entity precision and recall, and the leak rate, of the desensitizer."""
    from evals.pii import PATTERN_ENTITIES, SPLITS, evaluate, load_cases, report_json
    from knowledge.desensitize import get_desensitizer

    desensitizer = get_desensitizer(load_settings().secret_key.get_secret_value())
    out = Console()
    for name in _chosen(split, SPLITS):
        report = evaluate(desensitizer, load_cases(split=name))
        if json_out:
            print(report_json(report))
            continue
        table = Table("entity", "gold", "found", "precision", "recall", title=f"PII — {name} ({report.cases} lines)")
        for entity, score in sorted(report.by_entity.items()):
            table.add_row(entity, str(score.gold), str(score.predicted), f"{score.precision:.3f}", f"{score.recall:.3f}")
        for label, chosen in (("pattern entities", PATTERN_ENTITIES), ("overall", None)):
            total = report.overall(chosen)
            table.add_row(label, str(total.gold), str(total.predicted), f"{total.precision:.3f}", f"{total.recall:.3f}", style="bold")
        out.print(table)
        out.print(f"leak rate: {report.leak_rate:.4f} ({len(report.leaked)} of {report.gold_values} values left in the output)")
        if show_errors:
            for line in report.leaked:
                out.print(f"  leak  {line}")
            for line in report.false_positives:
                out.print(f"  false {line}")


@eval_app.command("compliance")
def compliance(split: SplitOption = "dev", show_errors: ShowErrors = False, json_out: JsonOut = False) -> None:
    """Violations caught and fair messages flagged, per rule, by the guard with the shipped exemplar bank."""
    from agents.compliance import build_guard
    from agents.compliance.exemplars import ExemplarBank
    from evals.compliance import SPLITS, evaluate, load_cases
    from knowledge.desensitize import get_desensitizer
    from agents.services import exemplar_embedder

    settings = load_settings()
    guard = build_guard(ExemplarBank(exemplar_embedder(settings)))
    desensitizer = get_desensitizer(settings.secret_key.get_secret_value())
    out = Console()
    for name in _chosen(split, SPLITS):
        report = evaluate(guard, desensitizer, load_cases(split=name))
        if json_out:
            print(json.dumps({"split": name, **report.figures()}, ensure_ascii=False))
            continue
        table = Table("rule", "violations", "caught", "named", "false alarms", title=f"compliance — {name} ({report.cases} messages)")
        for rule, score in sorted(report.by_rule.items()):
            caught = f"{score.caught}/{score.violations}" if score.violations else "-"
            table.add_row(rule, str(score.violations), caught, str(score.named), str(score.false_alarms))
        out.print(table)
        out.print(
            f"caught {report.caught_rate:.1%} of {report.violations} violations (target ≥ 95%; {report.by_exemplar} by the exemplar bank alone); "
            f"flagged {report.false_alarm_rate:.1%} of {report.fair} fair messages (target ≤ 5%); unanchored flags {report.unanchored}"
        )
        if show_errors:
            for line in report.misses:
                out.print(f"  missed {line}")
            for line in report.false_alarms:
                out.print(f"  false  {line}")


@eval_app.command("contracts")
def contracts(split: SplitOption = "dev", show_errors: ShowErrors = False, json_out: JsonOut = False) -> None:
    """Risky terms recognised, in formal clauses and in chat, and false alarms on fair ones."""
    from agents.contract_risk import get_reviewer
    from evals.contracts import SPLITS, evaluate, load_cases

    out = Console()
    for name in _chosen(split, SPLITS):
        report = evaluate(get_reviewer(), load_cases(split=name))
        if json_out:
            print(json.dumps({"split": name, **report.figures()}, ensure_ascii=False))
            continue
        table = Table("form", "risks", "recognised", "benign", "false alarms", title=f"contracts — {name} ({report.cases} items)")
        for form, score in sorted(report.by_form.items()):
            table.add_row(form, str(score.risks), f"{score.recognised}/{score.risks}", str(score.benign), str(score.false_alarms))
        out.print(table)
        for risk, (found, total) in sorted(report.by_type.items()):
            out.print(f"  {risk}: {found}/{total}")
        out.print(f"recognised {report.recognised_rate:.1%} (target ≥ 90%); false alarms on {report.false_alarms} benign items (target 0)")
        if show_errors:
            for line in report.errors:
                out.print(f"  {line}")


@eval_app.command("suggest")
def suggest(
    split: Annotated[str, typer.Option(help="dev, heldout, heldout2 or all. Never tune on a held-out split: look at its errors only to report them.")] = "dev",
    budget_ms: Annotated[int, typer.Option(help="Latency budget per request (the product's default is 800).")] = 800,
    show_errors: Annotated[bool, typer.Option(help="List every foreign specific, other-line mention, missed scenario and chart.")] = False,
    unjudged_out: Annotated[Path | None, typer.Option(help="Write the suggestions nobody has judged yet to this JSONL, for a judge.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Run the suggestion eval on the demo data (in a fresh temporary data dir) and print its figures."""
    import tempfile

    from evals.suggest import SPLITS, TARGETS, evaluate, load_cases, write_unjudged

    out = Console()
    for name in _chosen(split, SPLITS):
        with tempfile.TemporaryDirectory(prefix="zhice-eval-") as folder:
            settings = load_settings().model_copy(update={"data_dir": Path(folder), "database_url": None})
            report = evaluate(settings, load_cases(name), name, budget_ms=budget_ms)
        figures = report.figures()
        if json_out:
            print(json.dumps(figures, ensure_ascii=False))
        else:
            table = Table("figure", "value", "target", title=f"suggest — {name} ({figures['cases']} conversations, {figures['suggestions']} suggestions)")
            for key, value in figures.items():
                if key not in ("split", "cases", "suggestions"):
                    target = TARGETS.get(key)
                    table.add_row(key, json.dumps(value, ensure_ascii=False), "" if target is None else ("≤ " if key in ("foreign_share", "other_line_share", "chart_elsewhere") else "≥ ") + str(target))
            out.print(table)
        degraded = [a for a in report.answers if a.done.degraded]
        if degraded:  # an agent that failed or ran late makes every other figure suspect: say so loudly
            out.print(f"[bold red]{len(degraded)} of {len(report.answers)} answers were degraded[/] (an agent failed or ran late):")
            for answer in degraded[:5]:
                out.print(f"  {answer.case.id}: {'; '.join(answer.done.notes)}")
        if show_errors:
            for answer in report.answers:
                for suggestion, foreign, other in zip(answer.done.suggestions, answer.foreign, answer.other_line, strict=True):
                    if foreign or other:
                        out.print(f"  {answer.case.id} foreign={[s.text for s in foreign]} other_line={list(other)} :: {suggestion.text}")
                if answer.done.scenario not in answer.case.scenarios:
                    out.print(f"  {answer.case.id} scenario {answer.case.scenarios[0]} → {answer.done.scenario}")
                if answer.case.chart_expected != (answer.done.chart is not None):
                    out.print(f"  {answer.case.id} chart expected={answer.case.chart_expected} shown={answer.done.chart is not None}")
        if unjudged_out is not None:
            out.print(f"{write_unjudged(report, unjudged_out)} unjudged suggestions written to {unjudged_out}")


@eval_app.command("calibrate")
def calibrate(
    out: Annotated[Path, typer.Option(help="Where to write the calibration (the product reads agents/calibration.yaml).")] = Path("agents/calibration.yaml"),
) -> None:
    """Fit confidence on the dev split's judged suggestions: per kind of suggestion, the share sendable."""
    import tempfile

    import yaml

    from core import clock
    from evals.suggest import evaluate, fit_calibration, load_cases

    with tempfile.TemporaryDirectory(prefix="zhice-eval-") as folder:
        settings = load_settings().model_copy(update={"data_dir": Path(folder), "database_url": None})
        report = evaluate(settings, load_cases("dev"), "dev", budget_ms=800)
    calibration = fit_calibration(report, clock.now().date().isoformat())
    header = "# Fitted by `zhice eval calibrate` on the dev split's judged suggestions (never on held-out).\n"
    out.write_text(header + yaml.safe_dump(calibration.model_dump(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    Console().print(f"{calibration.fitted_on}: overall {calibration.overall}; written to {out}")


@eval_app.command("train-router")
def train_router(
    out: Annotated[Path, typer.Option(help="Where to write the weights (the product reads agents/scenario_model.npz).")] = Path("agents/scenario_model.npz"),
) -> None:
    """Fit the scenario classifier on the labelled demo pool, agents/scenario_examples.yaml and the dev split (needs the `train` extra);
    print its cross-validated accuracy on dev first."""
    from core import clock
    from evals.router import case_examples, cross_validate, pool_examples, short_turn_examples, train
    from evals.suggest import load_cases
    from knowledge.catalog import load_catalog
    from knowledge.desensitize import get_desensitizer
    from knowledge.taxonomy import load_taxonomy

    catalog, taxonomy = load_catalog(), load_taxonomy()
    pool = pool_examples(catalog, taxonomy) + short_turn_examples(catalog, taxonomy)
    cases = case_examples(load_cases("dev"), get_desensitizer(load_settings().secret_key.get_secret_value()), catalog, taxonomy)
    check = cross_validate(pool, cases, taxonomy)
    model = train(pool, cases, taxonomy, clock.now().date().isoformat())
    model.save(out)
    Console().print(f"dev accuracy, {check.folds}-fold cross-validated on {check.cases} conversations: {check.accuracy}")
    Console().print(f"fitted on {model.fitted_on}; written to {out}")


@eval_app.command("train-guard")
def train_guard(
    out: Annotated[Path, typer.Option(help="Where to write the weights (the product reads agents/compliance/guard_model.npz).")] = Path("agents/compliance/guard_model.npz"),
) -> None:
    """Fit the guard's classifier on the compliance dev split, the shipped exemplars and approved wording (needs the `train` extra);
    print the classifier's caught and false-alarm shares on held-back dev cases first."""
    from agents.compliance.guard import ComplianceGuard
    from agents.compliance.rules import load_rules
    from core import clock
    from evals.guard_training import check, examples, train
    from knowledge.anchors import load_anchors
    from knowledge.catalog import load_catalog
    from knowledge.desensitize import get_desensitizer

    patterns = ComplianceGuard(load_rules(), load_anchors(), load_catalog())
    rows = examples(get_desensitizer(load_settings().secret_key.get_secret_value()), patterns)
    _fit_and_report(check(rows), train(rows, clock.now().date().isoformat()), out)


@eval_app.command("train-contracts")
def train_contracts(
    out: Annotated[Path, typer.Option(help="Where to write the weights (the product reads agents/contract_risk/contract_model.npz).")] = Path("agents/contract_risk/contract_model.npz"),
) -> None:
    """Fit the contract reviewer's classifier on the contract dev split and the clause library (needs the `train` extra);
    print the classifier's flagged and false-alarm shares on held-back dev items first."""
    from core import clock
    from evals.contract_training import check, examples, train

    rows = examples()
    _fit_and_report(check(rows), train(rows, clock.now().date().isoformat()), out)


def _fit_and_report(check: dict[str, float], model, out: Path) -> None:
    model.save(out)
    Console().print(f"the classifier alone on held-back dev cases (5 folds): flagged {check['caught']:.1%} of risky ones, {check['false_alarms']:.1%} of fair ones")
    Console().print(f"fitted on {model.fitted_on}; written to {out}")


def register_commands(app: typer.Typer) -> None:
    """Add `eval` to the root."""
    app.add_typer(eval_app, name="eval")
