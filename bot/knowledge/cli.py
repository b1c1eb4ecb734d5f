"""``kb``: the editors' and developers' tool for the knowledge base.

kb lint                 check every article (schema, sources, staleness, duplicates, links)
kb build                validate, embed what changed, publish a new index
kb search "câu hỏi"     top articles with scores and the signals that found them
kb eval                 hit@1/hit@3/MRR per style, out-of-scope rejection, vs baselines
kb answer-eval          the replies residents get, judged through the running stack
kb report               questions nobody answered, and feedback per article
"""

from __future__ import annotations

import argparse
import sys
import time

from bot.logs import configure_logging
from bot.settings import Settings, get_settings


def _lint(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.lint import lint

    problems = lint(settings.kb_articles_dir, settings.kb_stale_after_days)
    for problem in problems:
        print(problem)
    errors = sum(p.level == "error" for p in problems)
    count = len(list(settings.kb_articles_dir.glob("*.md")))
    print(f"{count} bài, {errors} lỗi, {len(problems) - errors} cảnh báo")
    return 1 if errors or (args.strict and problems) else 0


def _build(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.articles import load_articles
    from bot.knowledge.calibration import QueryCache, calibrate, out_of_scope_examples
    from bot.knowledge.index import build_index
    from bot.knowledge.lint import lint
    from bot.knowledge.service import embedder_from

    errors = [
        p
        for p in lint(settings.kb_articles_dir, settings.kb_stale_after_days)
        if p.level == "error"
    ]
    if errors:
        for problem in errors:
            print(problem)
        print("Chưa xây chỉ mục: sửa các lỗi trên rồi chạy lại `kb build`.")
        return 1
    articles, _ = load_articles(settings.kb_articles_dir)
    started = time.perf_counter()
    embedder = embedder_from(settings)
    loaded = time.perf_counter() - started
    oos = out_of_scope_examples(settings.kb_calibration_nlu_file, settings.kb_calibration_file)
    cache = QueryCache(settings.kb_index_path / "query-cache.npz", embedder)
    settings.kb_index_path.mkdir(parents=True, exist_ok=True)
    stats = build_index(
        articles,
        embedder,
        settings.kb_index_path,
        calibrate=lambda staging: calibrate(staging, embedder, oos, cache),
    )
    print(
        f"index {stats.directory.name}: {stats.articles} articles, {stats.units} units, "
        f"{stats.embedded} embedded, {stats.reused} reused; {stats.seconds:.1f} s "
        f"(+{loaded:.1f} s model load)"
    )
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.service import get_knowledge_base

    searcher = get_knowledge_base().searcher()
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
    from bot.knowledge.service import get_knowledge_base

    searcher = get_knowledge_base().searcher()
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

    print_report(days=args.days, limit=args.limit)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kb", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    lint_p = sub.add_parser("lint", help="check every article")
    lint_p.add_argument("--strict", action="store_true", help="warnings fail too")
    sub.add_parser("build", help="validate, embed what changed, publish a new index")
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
        "search": _search,
        "eval": _eval,
        "answer-eval": _answer_eval,
        "report": _report,
    }
    return handlers[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
