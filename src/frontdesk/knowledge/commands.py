"""`frontdesk knowledge build | search | eval | list`: the knowledge index from the command line.

Contract (docs/knowledge.md): `search NAME "query" [--json] [--k 10]`; `search NAME --jsonl`
reads `{"id", "text"}` lines on stdin and writes `{"id", "hits": [{"doc_id", "score",
"source_url", "title"}], "ms"}` lines; `eval NAME --qrels FILE --queries FILE` prints the metrics
per method and writes `report.json` and `retrieval.png`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from frontdesk.errors import ConfigError, InvalidInput

knowledge_cli = typer.Typer(
    help="Knowledge indexes: build one from MedQuAD or your documents, search it, evaluate it.",
    no_args_is_help=True,
)
err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
NameArgument = Annotated[str, typer.Argument(help="The index's name (knowledge list).")]
JsonlFlag = Annotated[bool, typer.Option("--jsonl", help='Read {"id", "text"} lines on stdin.')]
MethodOption = Annotated[str, typer.Option("--method", help="final, hybrid, bm25 or dense.")]
QrelsOption = Annotated[
    Path, typer.Option("--qrels", help="Graded judgments (qid grade docid, or JSONL).")
]
QueriesOption = Annotated[Path, typer.Option("--queries", help='Questions as {"id", "text"}.')]
MethodsOption = Annotated[
    str, typer.Option("--methods", help="Comma-separated: bm25,dense,hybrid,final.")
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Directory for report.json and retrieval.png.")
]


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _data_dir() -> Path:
    from frontdesk.config import load_settings

    try:
        return load_settings({}).data_dir
    except (ConfigError, InvalidInput) as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


def _open(name: str) -> Any:
    from frontdesk.knowledge import open_index

    try:
        return open_index(name, data_dir=_data_dir())
    except InvalidInput as exc:
        _fail(str(exc))


def _bar() -> Progress:
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*Progress.get_default_columns()[:1], *columns, console=err, transient=False)


@knowledge_cli.command("build")
def build(
    source: Annotated[
        Path, typer.Argument(help="MedQuAD folder or .tar.gz, .jsonl, .md, or a folder of text.")
    ],
    name: Annotated[str, typer.Option("--name", help="The index's name.")],
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Ingest SOURCE and publish it as the index NAME (a rebuild replaces it atomically)."""
    from frontdesk.knowledge import index as index_module
    from frontdesk.knowledge import sources, store

    data_dir = _data_dir()
    started = time.perf_counter()
    try:
        store.check_name(name)
        with _bar() as bar:
            reading = bar.add_task("reading", total=None)
            passages, report = sources.read_source(source)
            bar.update(reading, total=1, completed=1)
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            index = index_module.KnowledgeIndex.build(name, passages, progress=progress)
        index.manifest["source"] = str(source)
        index.manifest["ingest"] = report.to_json()
        folder = store.new_version(data_dir, name)
        try:
            index.save(folder)
            final = store.publish(data_dir, name, folder)
        except BaseException:
            store.discard(folder)
            raise
    except InvalidInput as exc:
        _fail(str(exc))
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in final.iterdir())
    if as_json:
        typer.echo(json.dumps({"name": name, "path": str(final), "passages": len(passages),
                               "seconds": round(seconds, 1), "bytes": size,
                               "ingest": report.to_json()}))  # fmt: skip
        return
    typer.echo(report.summary())
    typer.echo(
        f"Built the knowledge index {name!r} ({len(passages):,} passages, "
        f"{size / 1e6:.1f} MB) in {seconds:.0f} s at {final}."
    )


@knowledge_cli.command("search")
def search(
    name: NameArgument,
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    k: Annotated[int, typer.Option("--k", help="How many hits.", min=1, max=100)] = 10,
    jsonl: JsonlFlag = False,
    method: MethodOption = "final",
    as_json: JsonFlag = False,
) -> None:
    """The passages that best answer a question, with their NIH source and a score."""
    from frontdesk.knowledge.index import METHODS

    if method not in METHODS:
        _fail(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if jsonl == (query is not None):
        _fail('give either a query or --jsonl (questions as {"id", "text"} lines on stdin)')
    index = _open(name)
    if jsonl:
        for number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                qid, text = record["id"], str(record["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                err.print(f'line {number}: expected {{"id", "text"}}; skipped', highlight=False)
                continue
            started = time.perf_counter()
            hits = index.search(text, k=k, method=method)
            ms = (time.perf_counter() - started) * 1000
            out = {"id": qid, "hits": [h.to_json() for h in hits], "ms": round(ms, 2)}
            if method == "final":
                out["covered"] = index.covered(hits)
            typer.echo(json.dumps(out))
        return
    assert query is not None
    hits = index.search(query, k=k, method=method)
    covered = index.covered(hits) if method == "final" else bool(hits)
    if as_json:
        typer.echo(json.dumps({"query": query, "covered": covered,
                               "hits": [h.to_json() for h in hits]}))  # fmt: skip
        return
    if not covered:
        typer.echo("Not covered: no passage in this index is likely to answer that.")
        if not hits:
            return
        typer.echo("The closest passages, for what they are worth:")
    for hit in hits:
        typer.echo(
            f"{hit.rank:2}. {hit.passage.title}  [{hit.passage.doc_id}, score {hit.score:.2f}]"
        )
        if hit.passage.source_url:
            typer.echo(f"    {hit.passage.source_url}")


@knowledge_cli.command("eval")
def evaluate(
    name: NameArgument,
    qrels: QrelsOption,
    queries: QueriesOption,
    methods: MethodsOption = "bm25,dense,hybrid,final",
    out: OutOption = Path("knowledge-eval"),
    as_json: JsonFlag = False,
) -> None:
    """P@1, P@5, nDCG@10, MRR, Success@k (relevant = graded 3-4 and 2-4; standard and
    optimistic), "not covered" accuracy and latency, per method, side by side in one run."""
    from frontdesk.knowledge import evaluation
    from frontdesk.knowledge.index import METHODS

    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        _fail(f"--methods takes {', '.join(METHODS)}, got {methods!r}")
    index = _open(name)
    try:
        judgments = evaluation.read_qrels(qrels)
        questions = evaluation.read_queries(queries)
        judged = sum(1 for qid, _ in questions if qid in judgments)
        with _bar() as bar:
            task = bar.add_task("searching", total=judged * len(chosen))
            results = evaluation.evaluate(
                index, questions, judgments, methods=chosen,  # type: ignore[arg-type]
                progress=lambda: bar.advance(task),
            )  # fmt: skip
    except (InvalidInput, OSError) as exc:
        _fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "index": name,
        "passages": len(index.passages),
        "questions": judged,
        "results": [r.to_json() for r in results],
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    evaluation.plot(results, out / "retrieval.png")
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"{judged} judged questions, index {name!r} of {len(index.passages):,} passages.")
    for level in ("3-4 optimistic", "2-4 optimistic", "3-4 standard"):
        typer.echo(f"relevant = graded {level}:")
        typer.echo("  " + evaluation.summary(results, level).replace("\n", "\n  "))
    final = next((r for r in results if r.method == "final"), None)
    if final is not None and final.not_covered["questions_not_covered"]:
        nc = final.not_covered
        typer.echo(
            f"Not covered: {int(nc['questions_not_covered'])} questions have no passage graded "
            f"3-4; the index said so for {nc['said_not_covered']:.0%} of them, and answered "
            f"{nc['answered_when_covered']:.0%} of the covered ones."
        )
    typer.echo(f"report   {out / 'report.json'}\nplot     {out / 'retrieval.png'}")


@knowledge_cli.command("list")
def list_indexes(as_json: JsonFlag = False) -> None:
    """The indexes built in the data directory."""
    from frontdesk.knowledge import store

    data_dir = _data_dir()
    names = store.available(data_dir)
    rows = []
    for name in names:
        manifest = json.loads((store.current(data_dir, name) / "manifest.json").read_text())
        rows.append({
            "name": name, "passages": manifest.get("passages"),
            "built_at": manifest.get("built_at"), "source": manifest.get("source"),
        })  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo(f"No knowledge index in {data_dir}: build one with `frontdesk knowledge build`.")
    for row in rows:
        typer.echo(f"{row['name']}: {row['passages']:,} passages, built {row['built_at']}")


__all__ = ["knowledge_cli"]
