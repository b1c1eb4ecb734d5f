"""``kb``: the editors' and developers' tool for the knowledge base.

kb lint                 check the files in knowledge/articles (schema, sources, links…)
kb build                import new or changed files, then build the index of what is published
kb import [--force ID]  import the files only (--force: over an article edited on the web)
kb export DIR           write the published articles (web edits included) as Markdown files
kb search "câu hỏi"     top articles with scores and the signals that found them
kb eval                 hit@1/hit@3/MRR per style, out-of-scope rejection, vs baselines
kb answer-eval          the replies residents get, judged through the running stack
kb report               questions nobody answered, and feedback per article
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from bot.logs import configure_logging
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.knowledge.store import SyncReport


def _lint(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.lint import lint

    problems = lint(settings.kb_articles_dir, settings.kb_stale_after_days)
    for problem in problems:
        print(problem)
    errors = sum(p.level == "error" for p in problems)
    count = len(list(settings.kb_articles_dir.glob("*.md")))
    print(f"{count} bài, {errors} lỗi, {len(problems) - errors} cảnh báo")
    return 1 if errors or (args.strict and problems) else 0


def _print_sync(report: SyncReport) -> None:
    for error in report.errors:
        print(f"{error}  (tệp bị bỏ qua)")
    if report.added or report.updated:
        print(
            f"nhập từ tệp: {len(report.added)} bài mới, {len(report.updated)} bài cập nhật"
            + (f" ({', '.join(report.updated)})" if report.updated else "")
        )
    for article_id in report.kept:
        print(
            f"GIỮ BẢN WEB: {article_id}.md đã đổi nhưng bài này đã được sửa trên trang quản lý;"
            f" giữ bản web. Lấy bản tệp: kb import --force {article_id}"
        )


def _sync(settings: Settings, force: set[str] | None = None) -> SyncReport:
    from bot.db import session_scope
    from bot.knowledge.store import sync_files

    with session_scope() as session:
        report = sync_files(session, settings.kb_articles_dir, force)
    _print_sync(report)
    return report


def _build(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.publishing import NotPublishable, build_published
    from bot.knowledge.service import embedder_from

    if _sync(settings).errors:
        print("Sửa các tệp lỗi ở trên rồi chạy lại `kb build` (các bài khác vẫn được xây).")
    started = time.perf_counter()
    embedder = embedder_from(settings)
    loaded = time.perf_counter() - started
    if args.if_changed and _index_is_current(settings, embedder.name):
        print("chỉ mục đã đúng với các bài đang xuất bản: không cần xây lại")
        return 0
    try:
        stats = build_published(settings, embedder)
    except NotPublishable as exc:
        print(exc)
        print("Chưa xây chỉ mục: sửa các lỗi trên rồi chạy lại `kb build`.")
        return 1
    print(
        f"index {stats.directory.name}: {stats.articles} articles, {stats.units} units, "
        f"{stats.embedded} embedded, {stats.reused} reused; {stats.seconds:.1f} s "
        f"(+{loaded:.1f} s model load)"
    )
    return 0


def _index_is_current(settings: Settings, model: str) -> bool:
    """The current build holds exactly the published articles' texts, embedded by
    ``model`` (another build of the embedding model, after an upgrade, cannot search it)."""
    import json

    from bot.db import session_scope
    from bot.knowledge.index import current_build
    from bot.knowledge.store import published_texts, text_sha

    build = current_build(settings.kb_index_path)
    if build is None:
        return False
    meta = json.loads((build / "meta.json").read_text("utf-8"))
    if meta.get("model") != model:
        return False
    built = {a["id"]: a["sha256"] for a in meta["articles"]}
    with session_scope() as session:
        published = {k: text_sha(v) for k, v in published_texts(session).items()}
    return built == published


def _import(settings: Settings, args: argparse.Namespace) -> int:
    report = _sync(settings, set(args.force or []))
    if not (report.added or report.updated or report.kept or report.errors):
        print("Các tệp đã có trong cơ sở dữ liệu, không có gì mới.")
    print("Chạy `kb build` (hoặc bấm Xuất bản trên trang quản lý) để trợ lý dùng bản mới.")
    return 1 if report.errors else 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.db import session_scope
    from bot.knowledge.store import export

    with session_scope() as session:
        count = export(session, Path(args.directory))
    print(f"đã ghi {count} bài vào {args.directory}")
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.service import KnowledgeBase, embedder_from

    searcher = KnowledgeBase(settings.kb_index_path, embedder_from(settings)).searcher()
    result = searcher.search(args.query, mode=args.mode, k=args.k)
    threshold = settings.kb_confidence_threshold or searcher.threshold(args.mode)
    print(f"query:        {result.query}")
    print(f"dense query:  {result.dense_query}")
    verdict = "answer" if searcher.confident(result, threshold) else "unsure or not covered"
    print(f"confidence:   {result.confidence:.3f} (threshold {threshold:.3f}) -> {verdict}")
    print("signals:      " + ", ".join(f"{k}={v:.3f}" for k, v in result.features.items()))
    for rank, hit in enumerate(result.hits, 1):
        print(
            f"{rank:2}. {hit.article_id:40} fused={hit.score:.4f} bm25={hit.bm25:7.2f} "
            f"(#{hit.bm25_rank}) dense={hit.dense:.3f} (#{hit.dense_rank}) by {hit.found_by}"
        )
        print(f"    {hit.title}")
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.evaluation import evaluate, format_reports, load_questions
    from bot.knowledge.service import KnowledgeBase, embedder_from

    searcher = KnowledgeBase(settings.kb_index_path, embedder_from(settings)).searcher()
    questions = load_questions(settings.kb_eval_file)
    started = time.perf_counter()
    reports = evaluate(searcher, questions)
    print(
        f"{len(questions)} questions, {time.perf_counter() - started:.1f} s, "
        f"model {searcher.embedder.name}"
    )
    print(format_reports(reports))
    if args.misses:
        for text, expected, got in reports["hybrid"].misses:
            print(f"MISS {expected or 'out-of-scope'} <- {got}: {text}")
    return 0


def _answer_eval(settings: Settings, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bot.evaluation.answers import evaluate, load_items

    items = load_items(Path(args.items))
    if args.only:
        items = [i for i in items if i.category in args.only]
    if args.url:
        report = evaluate(args.url, items, args.ward)
    else:
        from bot.evaluation.stack import EVAL_WARD, private_stack

        with private_stack(settings) as url:
            report = evaluate(url, items, EVAL_WARD)
    report.print(failures=args.failures)
    if args.json:
        Path(args.json).write_text(json.dumps(report.summary(), indent=2), "utf-8")
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.report import print_report
    from bot.knowledge.responder import Responder
    from bot.knowledge.service import IndexMissing, KnowledgeBase, embedder_from

    try:
        searcher = KnowledgeBase(settings.kb_index_path, embedder_from(settings)).searcher()
        responder: Responder | None = Responder(
            searcher, settings.kb_confidence_threshold, settings.kb_not_covered_below
        )
    except IndexMissing:
        responder = None  # no index: every question is listed
    print_report(responder, days=args.days, limit=args.limit)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kb", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    lint_p = sub.add_parser("lint", help="check every article")
    lint_p.add_argument("--strict", action="store_true", help="warnings fail too")
    build_p = sub.add_parser("build", help="import changed files, embed what changed, publish")
    build_p.add_argument(
        "--if-changed", action="store_true", help="only when the index lacks a published change"
    )
    import_p = sub.add_parser("import", help="import new or changed files into the database")
    import_p.add_argument("--force", nargs="+", metavar="ID", help="over edits made on the web")
    export_p = sub.add_parser("export", help="write the published articles as Markdown files")
    export_p.add_argument("directory")
    search_p = sub.add_parser("search", help="show the top articles for a question")
    search_p.add_argument("query")
    search_p.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    search_p.add_argument("-k", type=int, default=5)
    eval_p = sub.add_parser("eval", help="retrieval quality on knowledge/eval/questions.yaml")
    eval_p.add_argument("--misses", action="store_true", help="list the hybrid mode's misses")
    answers_p = sub.add_parser(
        "answer-eval", help="replies judged through the running stack (starts one by default)"
    )
    answers_p.add_argument("--items", default="knowledge/eval/answers", help="folder of items")
    answers_p.add_argument("--url", help="a running gateway instead of a private stack")
    answers_p.add_argument("--ward", help="with --url: the ward whose team takes hand-overs")
    answers_p.add_argument("--only", nargs="+", help="categories to run (knowledge, improper…)")
    answers_p.add_argument("--failures", type=int, default=40, help="failures to list")
    answers_p.add_argument("--json", help="write the summary figures to this file")
    report_p = sub.add_parser("report", help="unanswered questions and feedback")
    report_p.add_argument("--days", type=int, default=30)
    report_p.add_argument("--limit", type=int, default=30)
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging("WARNING")
    handlers = {
        "lint": _lint,
        "build": _build,
        "import": _import,
        "export": _export,
        "search": _search,
        "eval": _eval,
        "answer-eval": _answer_eval,
        "report": _report,
    }
    return handlers[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
