"""The `frontdesk` command line. Every command has --help; user errors print one line, no
stack trace, and exit with status 2."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from frontdesk.config import load_settings
from frontdesk.errors import ConfigError, FrontdeskError, InvalidInput, StoreError
from frontdesk.knowledge.commands import knowledge_cli
from frontdesk.runtime import App

T = TypeVar("T")

cli = typer.Typer(
    name="frontdesk",
    help="frontdesk: a production runtime for multi-agent LLM systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

AppOption = Annotated[str | None, typer.Option("--app", help="App to run (default: clinic).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except (ConfigError, InvalidInput, StoreError) as exc:
        _fail(str(exc))
    except FrontdeskError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")


def _build(app_name: str | None) -> App:
    from frontdesk.apps import load_app

    try:
        settings = load_settings({"app": app_name})
        return load_app(settings.app, settings)
    except (ConfigError, InvalidInput) as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@cli.command()
def chat(
    text: Annotated[str | None, typer.Argument(help="The message; omit for a session.")] = None,
    app: AppOption = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Conversation id (default: a new one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send one message (TEXT), or talk interactively when TEXT is omitted."""
    import uuid

    conversation_id = conversation or f"cli-{uuid.uuid4().hex[:12]}"
    built = _build(app)

    async def one() -> dict[str, Any]:
        async with built:
            return (await built.respond(conversation_id, text or "")).to_json()

    if text is not None:
        result = _run(one)
        _warn_on_error(result)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            _print_reply(result)
        return
    _interactive(built, conversation_id, as_json)


_HINTS = {
    "budget_exceeded": "see FRONTDESK_REQUEST_BUDGET_USD, FRONTDESK_CONVERSATION_BUDGET_USD and "
    "FRONTDESK_TENANT_DAILY_BUDGET_USD",
    "iteration_limit": "see FRONTDESK_MAX_STEPS",
}


def _warn_on_error(result: dict[str, Any]) -> None:
    if result.get("error"):
        hint = _HINTS.get(
            result["stop_reason"], "check FRONTDESK_MODEL and the provider's key and base URL"
        )
        err.print(
            f"[yellow]warning:[/] {result['stop_reason']}: {result['error']} — {hint}",
            highlight=False, markup=True, soft_wrap=True,
        )  # fmt: skip


def _print_reply(result: dict[str, Any]) -> None:
    out = Console()
    out.print(result["reply"], highlight=False, markup=False)
    details = (
        f"{result['agent']} · {result['category']} · confidence {result['confidence']:.2f} · "
        f"{result['action']} · {result['stop_reason']} · {result['latency_ms']:.0f} ms"
    )
    if result["escalation_id"]:
        details += f" · escalation {result['escalation_id']}"
    out.print(f"[dim]{details}[/]", highlight=False)


def _interactive(app: App, conversation_id: str, as_json: bool) -> None:
    err.print(f"[dim]conversation {conversation_id} — Ctrl-D to leave[/]")

    async def session() -> None:
        async with app:
            while True:
                try:
                    line = await asyncio.to_thread(input, "you> ")
                except EOFError:
                    return
                if not line.strip():
                    continue
                try:
                    result = (await app.respond(conversation_id, line)).to_json()
                except InvalidInput as exc:
                    err.print(f"[red]{exc}[/]")
                    continue
                _warn_on_error(result)
                if as_json:
                    typer.echo(json.dumps(result, ensure_ascii=False))
                else:
                    _print_reply(result)

    _run(session)


@cli.command()
def route(
    app: AppOption = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read/write JSON lines.")] = False,
) -> None:
    """Route messages read from stdin, one `{"text": ...}` object per line."""
    if not jsonl:
        _fail("route reads JSON lines from stdin: run `frontdesk route --jsonl < messages.jsonl`")
    built = _build(app)

    async def work() -> int:
        failures = 0
        async with built:
            for number, line in enumerate(sys.stdin, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                        raise InvalidInput('expected an object with a "text" string')
                    decision = await built.route(item["text"])
                except (json.JSONDecodeError, InvalidInput) as exc:
                    failures += 1
                    message = f"line {number}: {exc}"
                    err.print(f"[red]{message}[/]")
                    typer.echo(json.dumps({"error": message, "line": number}))
                    continue
                payload = decision.to_json()
                out = {k: payload[k] for k in ("category", "confidence", "action", "alternatives")}
                out["reason"] = payload["reason"]
                out["latency_ms"] = payload["latency_ms"]
                if payload["safety"] is not None:
                    out["safety"] = payload["safety"]
                typer.echo(json.dumps(out, ensure_ascii=False))
        return failures

    if _run(work):
        raise typer.Exit(1)


@cli.command()
def decisions(
    conversation: Annotated[str, typer.Option("--conversation", help="Conversation id.")],
    app: AppOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The routing decision log of one conversation."""
    from dataclasses import asdict

    from frontdesk.store import check_conversation_id

    built = _build(app)

    async def work() -> list[dict[str, Any]]:
        check_conversation_id(conversation)
        await built.store.open()
        try:
            return [asdict(d) for d in await built.store.decisions(conversation)]
        finally:
            await built.store.close()

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps({"conversation_id": conversation, "items": rows}))
        return
    if not rows:
        err.print(f"no decisions recorded for {conversation}")
    for row in rows:
        typer.echo(
            f"{row['category'] or '-':14} {row['confidence']:.3f} {row['action']:9} "
            f"{row['reason']:18} {row['router_version']}  trace {row['trace_id']}"
        )


@cli.command()
def serve(
    app: AppOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API, the operator console and the dashboard (docs/server.md)."""
    from frontdesk.server import serve as serve_http

    built = _build(app)
    settings = load_settings({"app": app})
    err.print(
        f"[dim]serving {built.name} on http://{host}:{port} (console: /console, API: "
        f"/openapi.json); Ctrl-C stops it gracefully[/]", highlight=False,
    )  # fmt: skip
    try:
        serve_http(built, settings, host=host, port=port)
    except (ConfigError, InvalidInput, StoreError) as exc:
        _fail(str(exc))


keys_cli = typer.Typer(help="API keys of the HTTP service.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")


def _with_store(work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    from frontdesk.store import open_store

    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc))
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> T:
        async with open_store(settings.store_url) as store:
            return await work(store)

    return _run(run)


@keys_cli.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="client, operator or admin.")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the key.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key and print it once (only its SHA-256 hash is stored)."""
    from frontdesk.server.auth import ROLES, hash_key, new_key
    from frontdesk.store import ApiKey

    if role not in ROLES:
        _fail(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    secret = new_key()
    key = ApiKey(name=name or role, role=role, key_hash=hash_key(secret))  # type: ignore[arg-type]
    _with_store(lambda store: store.create_api_key(key))
    if as_json:
        typer.echo(json.dumps({"id": key.id, "name": key.name, "role": key.role,
                               "tenant": key.tenant, "key": secret}))  # fmt: skip
        return
    typer.echo(secret)
    err.print(f"[dim]key {key.id} ({key.role}, {key.name!r}): shown once, store it now[/]")


@keys_cli.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """Every key: id, name, role, tenant, created, revoked (never the key itself)."""
    from dataclasses import asdict

    keys = _with_store(lambda store: store.list_api_keys())
    rows = [{k: v for k, v in asdict(key).items() if k != "key_hash"} for key in keys]
    if as_json:
        typer.echo(json.dumps({"items": rows}))
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        typer.echo(f"{row['id']}  {row['role']:8} {state:7} {row['name']}")


@keys_cli.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (keys list).")]) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    if not _with_store(lambda store: store.revoke_api_key(key_id)):
        _fail(f"no active key with id {key_id!r} (see `frontdesk keys list`)")
    err.print(f"revoked {key_id}")


@cli.command()
def analyze(
    file: Annotated[Path, typer.Argument(help="The report: a plain-text (UTF-8) file.")],
    debate: Annotated[
        bool, typer.Option("--debate", help="Add three analysts' differential and agreement.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Analyse a medical report: labs with flags, medications, ICD-10-CM diagnoses, findings
    (FRONTDESK_MODEL, when set, does the extraction; otherwise it runs offline)."""
    from rich.markup import escape

    from frontdesk.context import RequestContext
    from frontdesk.medical.ingest import read_report
    from frontdesk.telemetry import Telemetry

    try:
        text = read_report(file)
        settings = load_settings()
        telemetry = Telemetry.from_settings(settings)  # FRONTDESK_TRACES: the run's trace
        request = RequestContext.new(
            budget=settings.budget(), prices=settings.price_table(), telemetry=telemetry
        )
    except (InvalidInput, ConfigError) as exc:
        _fail(str(exc))
    from frontdesk.medical.console import StageDisplay
    from frontdesk.medical.pipeline import analyze_report

    async def work() -> dict[str, Any]:
        try:
            with StageDisplay(err) as display:
                result = await analyze_report(
                    text, debate=debate, model=settings.model, request=request,
                    progress=display.update,
                )  # fmt: skip
        finally:
            telemetry.shutdown()
        return result.to_json()

    result = _run(work)
    if result["stop_reason"] != "completed":
        err.print(
            f"[yellow]warning:[/] {result['stop_reason']}: {escape(result['error'] or '')}",
            highlight=False, markup=True, soft_wrap=True,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    from rich.markdown import Markdown

    Console().print(Markdown(result["summary_markdown"]))


cli.add_typer(knowledge_cli, name="knowledge")

eval_cli = typer.Typer(help="Evaluate parts of an app on labelled data.", no_args_is_help=True)
cli.add_typer(eval_cli, name="eval")


@eval_cli.command("router")
def eval_router(
    train: Annotated[Path, typer.Option("--train", help='JSONL of {"text", "label"}.')],
    test: Annotated[Path, typer.Option("--test", help="JSONL to report on.")],
    val: Annotated[
        Path | None, typer.Option("--val", help="JSONL to calibrate on (default: 10% of train).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Directory for report.json, the PNGs and router.pkl.")
    ] = Path("router-eval"),
    oos_recall: Annotated[
        float, typer.Option("--oos-recall", help="Out-of-scope recall floor for the threshold.")
    ] = 0.85,
    floor_confidence: Annotated[
        float,
        typer.Option(
            "--floor-confidence",
            help="Choose the threshold so the recall floor holds on new messages with this "
            "probability (a Clopper-Pearson bound on VAL's out-of-scope recall; 0: the floor "
            "applies to VAL's observed recall).",
        ),
    ] = 0.9,
    fine_tune_epochs: Annotated[
        float,
        typer.Option(
            "--fine-tune-epochs",
            help="Fine-tune the encoder on TRAIN for this many epochs first (0: the bundled "
            "encoder as is; ~1.6 s a step of 64 categories on 2 cores).",
        ),
    ] = 0.0,
    neighbour_weight: Annotated[
        float,
        typer.Option(
            "--neighbour-weight",
            help="Weight of the nearest-training-example similarity in the confidence (0: off).",
        ),
    ] = 1.0,
    ngram_weight: Annotated[
        float, typer.Option("--ngram-weight", help="Weight of the TF-IDF n-gram features.")
    ] = 1.0,
    int8: Annotated[
        bool, typer.Option("--int8", help="Run the encoder with 8-bit linear layers (faster).")
    ] = False,
    oos_for_calibration: Annotated[
        bool,
        typer.Option(
            "--oos-for-calibration",
            help="Calibrate on TRAIN's out-of-scope examples instead of training on them, so "
            "the out-of-scope recall floor holds on unseen messages.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Train the embedding router on TRAIN, calibrate on VAL, and report on TEST (label `oos`
    marks out-of-scope messages)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from frontdesk.routing.dataset import load_jsonl
    from frontdesk.routing.finetune import FineTuning
    from frontdesk.routing.training import train_and_evaluate

    def work() -> dict[str, Any]:
        train_items, test_items = load_jsonl(train), load_jsonl(test)
        val_items = load_jsonl(val) if val is not None else None
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=err) as bar:

            def stage(name: str, total: int) -> Callable[[int], None]:
                task = bar.add_task(name, total=total)
                return lambda done: bar.update(task, completed=done)

            _, report = train_and_evaluate(
                train_items, test_items, val=val_items, out_dir=out,
                oos_recall_floor=oos_recall, floor_confidence=floor_confidence or None,
                progress=stage,
                fine_tune=FineTuning(epochs=fine_tune_epochs) if fine_tune_epochs > 0 else None,
                neighbour_weight=neighbour_weight, ngram_weight=ngram_weight, int8=int8,
                oos_for_calibration=oos_for_calibration,
            )  # fmt: skip
        result = report.to_json()
        (out / "report.json").write_text(json.dumps(result, indent=2))
        result["files"]["report"] = str(out / "report.json")
        return result

    if not 0.0 <= floor_confidence < 1.0:
        _fail(f"--floor-confidence must be at least 0 and below 1, got {floor_confidence}")
    try:
        result = work()
    except (InvalidInput, ConfigError) as exc:
        _fail(str(exc))
    if not result["floor_met"]:
        err.print(
            f"[yellow]warning:[/] the threshold does not meet the {oos_recall:.0%} out-of-scope "
            f"recall floor as asked (validation recall {result['val_oos_recall']:.1%}"
            + (
                f", {floor_confidence:.0%} lower bound {result['val_oos_recall_bound']:.1%}"
                if result["val_oos_recall_bound"] is not None
                else ""
            )
            + "): add out-of-scope examples to the validation data, or lower "
            "--floor-confidence / --oos-recall"
        )
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key in ("accuracy", "in_scope_accuracy", "oos_recall", "macro_f1", "ece"):
        typer.echo(f"{key:18} {result[key]:.4f}")
    typer.echo(f"{'p50 / p99':18} {result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms")
    typer.echo(f"{'threshold':18} {result['threshold']:.3f} (margin {result['margin']})")
    typer.echo(f"{'n_train / n_test':18} {result['n_train']} / {result['n_test']}")
    for name, path in result["files"].items():
        typer.echo(f"{name:18} {path}")


@eval_cli.command("gate")
def eval_gate(
    app: AppOption = None,
    test: Annotated[
        Path | None, typer.Option("--test", help='JSONL of {"text", "label", "class", "kind"}.')
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option("--calibration", help="JSONL to choose each detector's threshold on."),
    ] = None,
    floor: Annotated[
        float, typer.Option("--floor", help="Recall floor the thresholds must show.")
    ] = 0.99,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence of the recall lower bound.")
    ] = 0.9,
    misses: Annotated[
        int,
        typer.Option(
            "--misses",
            help="With --calibration: calibration emergencies a threshold may leave uncaught "
            "(default 0: every one caught; -1: as many as the floor allows).",
        ),
    ] = 0,
    out: Annotated[
        Path, typer.Option("--out", help="Directory for report.json and gate-curve.png.")
    ] = Path("gate-eval"),
    as_json: JsonFlag = False,
) -> None:
    """The app's safety gate: its recorded operating points (recall bound, false-alarm rate,
    threshold per risk class); with --calibration, thresholds chosen anew on that file; with
    --test, how it does there (recall with its lower bound, false alarms, per kind, latency)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from frontdesk.safety import evaluation

    if not 0.0 < confidence < 1.0 or not 0.0 < floor <= 1.0:
        _fail(f"need 0 < --confidence < 1 and 0 < --floor <= 1, got {confidence} and {floor}")
    if misses < -1:
        _fail(f"--misses is a count of emergencies (0 or more), or -1 for the floor, got {misses}")
    built = _build(app)
    gate = built.pattern.safety
    if gate is None:
        _fail(f"the app {built.name!r} has no safety gate (RouterSpecialist(safety=...))")
    assert gate is not None
    result: dict[str, Any] = {"gate": gate.version, "floor": floor, "confidence": confidence}
    points = dict(gate.recorded)
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*Progress.get_default_columns()[:1], *columns, console=err) as bar:

            def tracker(name: str) -> Callable[[int, int], None]:
                task = bar.add_task(name, total=None)
                return lambda done, total: bar.update(task, completed=done, total=total)

            if calibration is not None:
                rows = evaluation.load_labelled(calibration)
                points = evaluation.calibrate(
                    gate, rows, floor=floor, confidence=confidence,
                    data=evaluation.digest([calibration]), progress=tracker("calibrating"),
                    misses=None if misses < 0 else misses,
                )  # fmt: skip
            result["operating_points"] = {c: p.to_json() for c, p in points.items()}
            if test is not None:
                report = evaluation.evaluate(
                    gate, evaluation.load_labelled(test), confidence=confidence,
                    progress=tracker("evaluating"),
                )  # fmt: skip
                result["test"] = report.to_json()
                out.mkdir(parents=True, exist_ok=True)
                evaluation.plot(report, points, out / "gate-curve.png")
                result["files"] = {"plot": str(out / "gate-curve.png"),
                                   "report": str(out / "report.json")}  # fmt: skip
                (out / "report.json").write_text(json.dumps(result, indent=2))
    except (InvalidInput, ConfigError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"gate {gate.version}")
    for point in points.values():
        typer.echo("  " + point.describe())
    if "test" not in result:
        return
    t = result["test"]
    recall = (
        f"recall {t['recall']:.1%} of {t['n_emergencies']} emergencies (lower bound "
        f"{t['recall_lower_bound']:.2%} at {confidence:.0%})"
        if t["n_emergencies"]
        else "no emergencies in this file"
    )
    alarms = (
        f"false alarms {t['false_alarm_rate']:.1%} of {t['n_near_misses']} near misses"
        if t["n_near_misses"]
        else "no near misses in this file"
    )
    typer.echo(
        f"on {test}: {recall}, {alarms}; added latency p50 "
        f"{t['latency_ms']['p50']:.1f} ms, p99 {t['latency_ms']['p99']:.1f} ms"
    )
    for row in t["kinds"]:
        typer.echo(f"  {row['label']:9} {row['kind']:26} fired {row['fired']:4} of {row['n']}")
    for name, path in result["files"].items():
        typer.echo(f"{name:8} {path}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
