"""Reading a knowledge source into passages: MedQuAD (its folder or the `.tar.gz` as shipped,
with the graded answers' CSV inside the LiveQA qrels zip), JSONL, markdown, or a folder of text.

Every passage gets a stable `doc_id`. For MedQuAD it is the LiveQA qrels' form
`SOURCE_DOCID_SecPID` (`GARD_0004375_Sec1`), so an index's hits can be scored against NIST's
judgments directly. Reading never stops at a bad record: malformed XML, empty answers, duplicate
answers, oversized records and undecodable files are skipped and counted in an `IngestReport`,
which says in prose what was kept and what was not.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tarfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree import ElementTree

from frontdesk.errors import InvalidInput

MAX_PASSAGE_CHARS = 100_000
"""A record longer than this is skipped (counted), never truncated silently."""

MAX_FILE_BYTES = 256 * 1024 * 1024
"""A single XML or text file larger than this is skipped (counted) rather than read into memory."""

CHUNK_CHARS = 1_500
"""Plain text and markdown sections longer than this are split into passages at paragraph
breaks, so a hit points at the part of a long file that matched."""

# MedQuAD's XML names a collection differently from the qrels in one case.
_QRELS_SOURCE = {"MPlusHerbsSupplements": "MPlusHerbsSuppls"}
# the collections whose answers MedQuAD removed (only the graded CSV has some of them)
_REMOVED = ("ADAM_", "MPlusDrugs_", "MPlusHerbsSuppls_")
_CSV_MEMBER = re.compile(r"All-\d+-Answers-retrieved-from-MedQuAD\.csv$")
_CSV_FIELDS = re.compile(r"^Question:\s*(?P<q>.*?)\s*\nURL:\s*(?P<url>\S*)\s*\nAnswer:\s*", re.S)


@dataclass(kw_only=True, slots=True, frozen=True)
class Passage:
    """One retrievable passage: what a hit points at and what an answer quotes."""

    doc_id: str
    title: str
    text: str
    source_url: str = ""
    focus: str = ""
    synonyms: tuple[str, ...] = ()
    qtype: str = ""
    aliases: tuple[str, ...] = ()
    """Other ids whose text was identical (MedQuAD repeats some answers); kept for evaluation."""

    def to_json(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "source_url": self.source_url,
            "focus": self.focus,
            "synonyms": list(self.synonyms),
            "qtype": self.qtype,
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Passage:
        def text(key: str) -> str:
            value = data.get(key, "")
            return value if isinstance(value, str) else ""

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key, [])
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        return cls(
            doc_id=text("doc_id"),
            title=text("title"),
            text=text("text"),
            source_url=text("source_url"),
            focus=text("focus"),
            synonyms=strings("synonyms"),
            qtype=text("qtype"),
            aliases=strings("aliases"),
        )


@dataclass(kw_only=True, slots=True)
class IngestReport:
    """What reading a source kept and skipped, by reason, with a few examples of each."""

    source: str
    kind: str
    files: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(where)

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "kind": self.kind,
            "files": self.files,
            "kept": self.kept,
            "skipped": dict(self.skipped),
            "examples": self.examples,
        }

    def summary(self) -> str:
        """The report as sentences a person reads."""
        lines = [
            f"Read {self.files:,} file{'s' if self.files != 1 else ''} from {self.source} "
            f"({self.kind}) and kept {self.kept:,} passage{'s' if self.kept != 1 else ''}."
        ]
        for reason, count in self.skipped.most_common():
            shown = ", ".join(self.examples.get(reason, []))
            lines.append(f"Skipped {count:,}: {reason} (e.g. {shown}).")
        return "\n".join(lines)


def read_source(path: Path) -> tuple[list[Passage], IngestReport]:
    """Every passage in `path` and a report of what was skipped. The kind is told from the path:
    a MedQuAD folder or archive, a `.jsonl` file, a `.md` file, or a folder of text files."""
    if not path.exists():
        raise InvalidInput(f"knowledge source {str(path)!r} does not exist")
    kind = source_kind(path)
    report = IngestReport(source=str(path), kind=kind)
    readers: dict[str, Callable[[Path, IngestReport], Iterator[Passage]]] = {
        "medquad": _read_medquad,
        "jsonl": _read_jsonl,
        "markdown": _read_markdown_file,
        "folder": _read_folder,
    }
    passages = _deduplicate(readers[kind](path, report), report)
    report.kept = len(passages)
    return passages, report


def source_kind(path: Path) -> str:
    """`medquad`, `jsonl`, `markdown` or `folder`; a clear error for anything else."""
    name = path.name.lower()
    if path.is_dir():
        return "medquad" if _looks_like_medquad(path) else "folder"
    if name.endswith((".tar.gz", ".tgz", ".zip")):
        return "medquad"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith((".md", ".markdown", ".txt")):
        return "markdown"
    raise InvalidInput(
        f"can't tell what kind of knowledge source {str(path)!r} is: give a MedQuAD folder or "
        'archive (.tar.gz, .zip), a .jsonl file of {"id", "text"} lines, a markdown file, '
        "or a folder of text files"
    )


def _looks_like_medquad(folder: Path) -> bool:
    return any(folder.glob("*_QA*")) or any(folder.glob("*/*_QA*")) or any(folder.glob("*.zip"))


# --- MedQuAD ---------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class _Member:
    name: str
    size: int
    read: Callable[[], bytes]


def _members(path: Path, report: IngestReport) -> Iterator[_Member]:
    """The files of a MedQuAD folder, `.tar.gz` or `.zip`, nested zips opened too."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            member = _Member(name=str(file), size=file.stat().st_size, read=file.read_bytes)
            yield from _expand(member, report)
    elif path.name.lower().endswith(".zip"):
        if not zipfile.is_zipfile(path):
            raise InvalidInput(f"{str(path)!r} is not a readable .zip archive")
        yield from _expand(_Member(name=str(path), size=path.stat().st_size, read=path.read_bytes),
                           report)  # fmt: skip
    else:
        try:
            with tarfile.open(path, "r:*") as archive:
                for info in archive:
                    handle = archive.extractfile(info) if info.isfile() else None
                    if handle is not None:  # read before the loop moves to the next member
                        member = _Member(name=info.name, size=info.size, read=handle.read)
                        yield from _expand(member, report)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise InvalidInput(
                f"{str(path)!r} is not a readable .tar.gz archive: {error}"
            ) from None


def _expand(member: _Member, report: IngestReport) -> Iterator[_Member]:
    if not member.name.lower().endswith(".zip") or member.size > MAX_FILE_BYTES:
        yield member
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(member.read()))
    except zipfile.BadZipFile:
        report.files += 1
        report.skip("not a readable zip", _short(member.name))
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or "__MACOSX" in info.filename:
                continue
            yield _Member(
                name=f"{member.name}!{info.filename}",
                size=info.file_size,
                read=lambda info=info: archive.read(info),  # type: ignore[misc]
            )


def _read_medquad(path: Path, report: IngestReport) -> Iterator[Passage]:
    # The graded answers' CSV carries the only text of the answers MedQuAD removed (A.D.A.M.,
    # MedlinePlus drugs and herbs); its rows are joined with the XML's metadata by doc_id.
    from_xml: dict[str, Passage] = {}
    from_csv: dict[str, Passage] = {}
    for member in _members(path, report):
        lower = member.name.lower()
        if lower.endswith(".xml"):
            report.files += 1
            if member.size > MAX_FILE_BYTES:
                report.skip("file too large", _short(member.name))
                continue
            for passage in _xml_passages(member, report):
                if passage.doc_id in from_xml:
                    report.skip("duplicate id", passage.doc_id)
                else:
                    from_xml[passage.doc_id] = passage
        elif _CSV_MEMBER.search(member.name):
            report.files += 1
            for passage in _csv_passages(member, report):
                from_csv[passage.doc_id] = passage
    for doc_id, passage in from_xml.items():
        if passage.text:
            yield passage
        elif doc_id in from_csv:
            yield replace(passage, text=from_csv.pop(doc_id).text)
        elif doc_id.startswith(_REMOVED):
            report.skip("no answer text (removed from MedQuAD for copyright)", doc_id)
        else:
            report.skip("empty answer", doc_id)
    for passage in from_csv.values():
        if passage.doc_id not in from_xml:
            yield passage


def _xml_passages(member: _Member, report: IngestReport) -> Iterator[Passage]:
    try:
        root = ElementTree.fromstring(member.read())
    except ElementTree.ParseError as error:
        report.skip("malformed XML", f"{_short(member.name)} ({error})")
        return
    # most collections use <Document source id>; a few NINDS files use <doc corpus docid>
    lower = root.tag == "doc"
    source = root.get("corpus" if lower else "source") or ""
    number = root.get("docid" if lower else "id") or ""
    if root.tag not in ("Document", "doc") or not source or not number:
        report.skip("not a MedQuAD document", _short(member.name))
        return
    prefix = f"{_QRELS_SOURCE.get(source, source)}_{number}"
    focus = " ".join((root.findtext("doctitle-focus" if lower else "Focus") or "").split())
    synonyms = tuple(s.strip() for s in (e.text or "" for e in root.iter("Synonym")) if s.strip())
    for pair in root.iter("pair" if lower else "QAPair"):
        question = pair.find("question" if lower else "Question")
        pid = pair.get("pid") or ""
        if question is None or not pid:
            report.skip("question without an id", _short(member.name))
            continue
        text = (pair.findtext("answer" if lower else "Answer") or "").strip()
        if len(text) > MAX_PASSAGE_CHARS:
            report.skip("answer too long", f"{prefix}_Sec{pid}")
            continue
        yield Passage(
            doc_id=f"{prefix}_Sec{pid}",
            title=" ".join((question.text or "").split()),
            text=text,
            source_url=root.get("url") or "",
            focus=focus,
            synonyms=synonyms,
            qtype=question.get("qtype") or "",
        )


def _csv_passages(member: _Member, report: IngestReport) -> Iterator[Passage]:
    try:
        text = member.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        report.skip("not UTF-8", _short(member.name))
        return
    for row in csv.DictReader(io.StringIO(text)):
        doc_id = (row.get("AnswerID") or "").removesuffix(".txt").strip()
        body = row.get("Answer") or ""
        fields = _CSV_FIELDS.match(body)
        if not doc_id or fields is None:
            report.skip("graded answer without id or answer", doc_id or _short(member.name))
            continue
        answer = body[fields.end() :].strip()
        if not answer:
            report.skip("empty answer", doc_id)
            continue
        question = fields["q"]
        title, _, also = question.partition(" (Also called:")
        yield Passage(
            doc_id=doc_id,
            title=title.strip(),
            text=answer,
            source_url=fields["url"],
            synonyms=tuple(s.strip() for s in also.rstrip(") ").split(";") if s.strip()),
        )


# --- generic sources -------------------------------------------------------------------------


def _read_jsonl(path: Path, report: IngestReport) -> Iterator[Passage]:
    report.files += 1
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            where = f"{path.name} line {number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                report.skip("line is not JSON", where)
                continue
            if not isinstance(record, dict):
                report.skip("line is not a JSON object", where)
                continue
            text = record.get("text")
            if not isinstance(text, str) or not text.strip():
                report.skip("no text", where)
                continue
            if len(text) > MAX_PASSAGE_CHARS:
                report.skip("text too long", where)
                continue
            doc_id = record.get("id", record.get("doc_id"))
            title = record.get("title")
            url = record.get("url", record.get("source_url"))
            yield Passage(
                doc_id=str(doc_id) if doc_id not in (None, "") else f"{path.stem}:{number}",
                title=title if isinstance(title, str) else "",
                text=text.strip(),
                source_url=url if isinstance(url, str) else "",
            )


def _read_markdown_file(path: Path, report: IngestReport) -> Iterator[Passage]:
    report.files += 1
    text = _read_text(path, report)
    if text is None:
        return
    sections = re.split(r"^#{1,3} +", text, flags=re.MULTILINE)
    if len(sections) == 1:  # no headings: the file is one titled passage
        sections = [f"{path.stem}\n{text}"]
    elif sections[0].strip():
        sections[0] = f"{path.stem}\n{sections[0]}"
    else:
        sections = sections[1:]
    for number, section in enumerate(sections, 1):
        title, _, body = section.partition("\n")
        for part, chunk in enumerate(_chunks(body), 1):
            suffix = f"#{number}" if part == 1 else f"#{number}.{part}"
            yield Passage(doc_id=f"{path.stem}{suffix}", title=title.strip(), text=chunk,
                          source_url=path.name)  # fmt: skip


def _read_folder(path: Path, report: IngestReport) -> Iterator[Passage]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    for file in files:
        if file.suffix.lower() in (".md", ".markdown", ".txt"):
            stem = str(file.relative_to(path).with_suffix(""))
            for passage in _read_markdown_file(file, report):
                yield replace(passage, doc_id=stem + passage.doc_id[len(file.stem) :])
        elif file.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _read_jsonl(file, report)
        else:
            report.files += 1
            report.skip("not a text, markdown or JSONL file", file.name)


def _read_text(path: Path, report: IngestReport) -> str | None:
    if path.stat().st_size > MAX_FILE_BYTES:
        report.skip("file too large", path.name)
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.skip("not UTF-8", path.name)
        return None


def _chunks(body: str) -> Iterator[str]:
    """Paragraphs packed into passages of at most about `CHUNK_CHARS` characters."""
    current = ""
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", body)):
        if not paragraph:
            continue
        if current and len(current) + len(paragraph) > CHUNK_CHARS:
            yield current
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
        while len(current) > MAX_PASSAGE_CHARS:  # one giant paragraph: cut at the limit
            yield current[:CHUNK_CHARS]
            current = current[CHUNK_CHARS:]
    if current:
        yield current


# --- shared ----------------------------------------------------------------------------------


def _deduplicate(passages: Iterable[Passage], report: IngestReport) -> list[Passage]:
    """Drops repeated ids and folds passages with identical text into the first one's aliases."""
    kept: list[Passage] = []
    by_text: dict[str, int] = {}
    seen_ids: set[str] = set()
    for passage in passages:
        if not passage.text.strip():
            report.skip("empty answer", passage.doc_id)
            continue
        if passage.doc_id in seen_ids:
            report.skip("duplicate id", passage.doc_id)
            continue
        seen_ids.add(passage.doc_id)
        key = hashlib.sha1(f"{passage.title}\n{passage.text}".lower().encode()).hexdigest()
        if key in by_text:
            first = kept[by_text[key]]
            kept[by_text[key]] = replace(first, aliases=(*first.aliases, passage.doc_id))
            report.skip("duplicate of another passage (kept as an alias)", passage.doc_id)
            continue
        by_text[key] = len(kept)
        kept.append(passage)
    return kept


def _short(name: str) -> str:
    return "/".join(name.split("/")[-2:])


__all__ = ["IngestReport", "Passage", "read_source", "source_kind"]
