"""`zhice eval …`: run an evaluation and print its numbers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.cli_context import load_settings

eval_app = typer.Typer(help="Evaluations on the datasets in evals/datasets.", no_args_is_help=True)


@eval_app.command("pii")
def pii(
    split: Annotated[str, typer.Option(help="dev, heldout or all. Look at held-out errors only to report them, never to tune.")] = "dev",
    show_errors: Annotated[bool, typer.Option(help="List every leak and false positive.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Per-entity precision and recall, and the leak rate, of the desensitizer."""
    from evals.pii import PATTERN_ENTITIES, SPLITS, evaluate, load_cases, report_json
    from knowledge.desensitize import get_desensitizer

    if split not in (*SPLITS, "all"):
        raise typer.BadParameter(f"split must be one of {', '.join(SPLITS)} or all")
    desensitizer = get_desensitizer(load_settings().secret_key.get_secret_value())
    out = Console()
    for name in SPLITS if split == "all" else (split,):
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


def register_commands(app: typer.Typer) -> None:
    """Add `eval` to the root."""
    app.add_typer(eval_app, name="eval")
