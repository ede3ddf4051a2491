#!/usr/bin/env python3
"""Throughput and latency benchmark for the pgqueuer job queue (PyPI: pgqueuer[asyncpg]).

Phase 1 (drain): enqueue N no-op jobs while no worker runs, start W consumer
processes (QueueManager, batch_size=B, mode=drain), release them all at once
and measure jobs/s from the release instant to the last recorded completion.

Phase 2 (latency): W fresh consumer processes run in continuous mode; an
open-loop producer submits jobs at a fixed rate for a fixed duration. Every
job carries its client-side submit timestamp in its payload; the entrypoint
records ``start - submit``. p50/p99 of that are reported.

The result is one JSON object on stdout; progress goes to stderr.

CPU: each phase reports the consumers' CPU time (utime + stime) over its
measured window, in seconds and in microseconds per job. With --postgres-pid
(the postmaster's pid, for a server on this host) it also reports the
server's: the postmaster and all its children, including the children that
exited and were waited for, read from /proc.

DSN: --dsn, else $PGQUEUER_DSN, $PGDSN or $DATABASE_URL, else the libpq
environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).

Timestamps are wall-clock (time.time() in Python, now() in PostgreSQL): the
benchmark assumes the database and the processes share one host clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import multiprocessing as mp
import os
import platform
import struct
import sys
import time
from typing import Any

import asyncpg

import pgqueuer
from pgqueuer import Job, Queries, QueueManager
from pgqueuer.db import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.types import QueueExecutionMode

ENTRYPOINT = "bench_noop"
# Latency-phase payload: (intended submit time, actual submit time), float64 each.
PAYLOAD = struct.Struct("<dd")
WARMUP_PAYLOAD = b"warmup"


def log(msg: str) -> None:
    print(f"[pgq-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_async(coro: Any, use_uvloop: bool) -> Any:
    if use_uvloop:
        try:
            import uvloop

            return uvloop.run(coro)
        except ImportError:
            pass
    return asyncio.run(coro)


def proc_cpu_ticks(pid: int, children: bool = False) -> tuple[int, int] | None:
    """(ppid, utime + stime [+ cutime + cstime]) of a process from /proc, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return int(fields[1]), ticks


def process_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the processes have used so far (0 for one that is gone)."""
    total = 0
    for pid in pids:
        entry = proc_cpu_ticks(pid)
        total += entry[1] if entry else 0
    return total / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(postmaster: int | None) -> float | None:
    """CPU seconds a PostgreSQL server has used: the postmaster with the children it has
    waited for, plus every live child (backends, background workers, autovacuum)."""
    if postmaster is None:
        return None
    root = proc_cpu_ticks(postmaster, children=True)
    if root is None:
        return None
    total = root[1]
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == postmaster:
            continue
        entry = proc_cpu_ticks(int(name))
        if entry and entry[0] == postmaster:
            total += entry[1]
    return total / os.sysconf("SC_CLK_TCK")


def cpu_report(consumers: float, server: float | None, jobs: int) -> dict[str, Any]:
    """CPU seconds of a phase's window, and microseconds per job."""
    jobs = max(jobs, 1)
    out: dict[str, Any] = {
        "consumers_seconds": round(consumers, 3),
        "consumers_us_per_job": round(consumers / jobs * 1e6, 1),
    }
    if server is not None:
        out["postgres_seconds"] = round(server, 3)
        out["postgres_us_per_job"] = round(server / jobs * 1e6, 1)
    return out


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize_ms(values: list[float]) -> dict[str, float | int]:
    s = sorted(values)
    return {
        "count": len(s),
        "p50_ms": round(percentile(s, 50) * 1e3, 3),
        "p90_ms": round(percentile(s, 90) * 1e3, 3),
        "p99_ms": round(percentile(s, 99) * 1e3, 3),
        "max_ms": round(s[-1] * 1e3, 3) if s else math.nan,
        "mean_ms": round(sum(s) / len(s) * 1e3, 3) if s else math.nan,
    }


# --------------------------------------------------------------------------- #
# Consumer process
# --------------------------------------------------------------------------- #


def consumer_main(
    idx: int,
    dsn: str | None,
    mode: str,
    batch_size: int,
    max_concurrent_tasks: int | None,
    use_uvloop: bool,
    ready: Any,
    release: Any,
    stop: Any,
    results: Any,
) -> None:
    logging.getLogger("pgqueuer").setLevel(logging.WARNING)
    try:
        out = run_async(
            consumer(idx, dsn, mode, batch_size, max_concurrent_tasks, ready, release, stop),
            use_uvloop,
        )
    except BaseException as exc:  # report, so the parent never waits forever
        out = {"idx": idx, "error": repr(exc)}
        ready.put(idx)
    results.put(out)


async def consumer(
    idx: int,
    dsn: str | None,
    mode: str,
    batch_size: int,
    max_concurrent_tasks: int | None,
    ready: Any,
    release: Any,
    stop: Any,
) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    qm = QueueManager(Queries(AsyncpgDriver(conn)))

    processed = 0
    first_start = math.inf
    last_end = 0.0
    lat_submit: list[float] = []  # start - client submit time
    lat_intended: list[float] = []  # start - scheduled (open-loop) submit time
    lat_created: list[float] = []  # start - pgqueuer.created (DB now() at enqueue)
    starts: list[float] = []

    @qm.entrypoint(ENTRYPOINT)
    async def noop(job: Job) -> None:
        nonlocal processed, first_start, last_end
        start = time.time()
        if mode == "continuous" and job.payload and len(job.payload) == PAYLOAD.size:
            intended, submitted = PAYLOAD.unpack(job.payload)
            lat_submit.append(start - submitted)
            lat_intended.append(start - intended)
            lat_created.append(start - job.created.timestamp())
            starts.append(start)
        processed += 1
        if start < first_start:
            first_start = start
        last_end = time.time()

    async def watch_stop() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.02)
        qm.shutdown.set()

    ready.put(idx)
    await asyncio.get_running_loop().run_in_executor(None, release.wait)
    cpu_at_release = time.process_time()
    watcher = asyncio.create_task(watch_stop())
    try:
        await qm.run(
            batch_size=batch_size,
            mode=QueueExecutionMode.drain if mode == "drain" else QueueExecutionMode.continuous,
            max_concurrent_tasks=max_concurrent_tasks,
        )
    finally:
        watcher.cancel()
        run_exit = time.time()
        cpu_in_run = time.process_time() - cpu_at_release
        await conn.close()
    return {
        "idx": idx,
        "processed": processed,
        "first_start": first_start if processed else None,
        "last_end": last_end if processed else None,
        "run_exit": run_exit,
        # CPU time from the release to the end of QueueManager.run (all threads).
        "cpu_seconds": cpu_in_run,
        "lat_submit": lat_submit,
        "lat_intended": lat_intended,
        "lat_created": lat_created,
        "starts": starts,
    }


class Consumers:
    """W consumer processes that connect, report ready, then wait for release."""

    def __init__(self, args: argparse.Namespace, mode: str) -> None:
        ctx = mp.get_context("spawn")
        self.ready = ctx.Queue()
        self.results = ctx.Queue()
        self.release = ctx.Event()
        self.stop = ctx.Event()
        self.procs = [
            ctx.Process(
                target=consumer_main,
                args=(
                    i,
                    args.dsn,
                    mode,
                    args.batch_size,
                    args.max_concurrent_tasks,
                    not args.no_uvloop,
                    self.ready,
                    self.release,
                    self.stop,
                    self.results,
                ),
                name=f"pgq-consumer-{i}",
            )
            for i in range(args.consumers)
        ]

    def start_and_wait_ready(self, timeout: float = 60.0) -> None:
        for p in self.procs:
            p.start()
        for _ in self.procs:
            self.ready.get(timeout=timeout)

    def do_release(self) -> float:
        t = time.time()
        self.release.set()
        return t

    def collect(self, timeout: float) -> list[dict[str, Any]]:
        out = [self.results.get(timeout=timeout) for _ in self.procs]
        for p in self.procs:
            p.join(timeout=10)
        errors = [r["error"] for r in out if "error" in r]
        if errors:
            raise RuntimeError(f"consumer failed: {errors}")
        return out

    def terminate(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)


# --------------------------------------------------------------------------- #
# Parent: schema, phases
# --------------------------------------------------------------------------- #


async def prepare_schema(dsn: str | None, reinstall: bool, vacuum: bool = True) -> None:
    """Install the schema if missing, clear this benchmark's rows, and tidy up.

    VACUUM removes dead tuples left by earlier runs; CHECKPOINT (needs
    superuser or the pg_checkpoint role) keeps a WAL-triggered checkpoint
    out of the measured window. Both are best effort.
    """
    conn = await asyncpg.connect(dsn)
    try:
        q = Queries(AsyncpgDriver(conn))
        installed = await q.schema_is_installed()
        if installed and reinstall:
            log("dropping existing pgqueuer schema (--reinstall)")
            await q.uninstall()
            installed = False
        if not installed:
            log("installing pgqueuer schema (Queries.install)")
            await q.install()
        await q.clear_queue(ENTRYPOINT)
        await q.clear_queue_log(ENTRYPOINT)
        await q.clear_statistics_log(ENTRYPOINT)
        if vacuum:
            await conn.execute("VACUUM (ANALYZE) pgqueuer, pgqueuer_log")
            try:
                await conn.execute("CHECKPOINT")
            except asyncpg.PostgresError as exc:
                log(f"CHECKPOINT skipped ({exc.__class__.__name__}); grant pg_checkpoint to enable")
    finally:
        await conn.close()


async def enqueue_backlog(dsn: str | None, n: int, chunk: int) -> tuple[int, int, float]:
    conn = await asyncpg.connect(dsn)
    try:
        q = Queries(AsyncpgDriver(conn))
        ids: list[int] = []
        t0 = time.perf_counter()
        for off in range(0, n, chunk):
            k = min(chunk, n - off)
            ids += await q.enqueue([ENTRYPOINT] * k, [None] * k, [0] * k)
        elapsed = time.perf_counter() - t0
        await conn.execute("ANALYZE pgqueuer")
        return min(ids), max(ids), elapsed
    finally:
        await conn.close()


async def pending_jobs(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", ENTRYPOINT)


async def wait_until_empty(dsn: str | None, timeout: float, poll: float = 0.05) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await pending_jobs(conn) == 0:
                return True
            await asyncio.sleep(poll)
        return False
    finally:
        await conn.close()


async def completion_stats(dsn: str | None, lo: int, hi: int) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE status = 'successful') AS successful,
                   count(*) FILTER (WHERE status = 'picked')     AS picked,
                   extract(epoch FROM min(created) FILTER (WHERE status = 'picked'))
                       AS first_pick,
                   extract(epoch FROM max(created) FILTER (WHERE status = 'successful'))
                       AS last_success
            FROM pgqueuer_log
            WHERE entrypoint = $1 AND job_id BETWEEN $2 AND $3
            """,
            ENTRYPOINT,
            lo,
            hi,
        )
        left = await pending_jobs(conn)
        return {
            "successful": row["successful"],
            "picked": row["picked"],
            "first_pick": float(row["first_pick"]) if row["first_pick"] is not None else None,
            "last_success": float(row["last_success"]) if row["last_success"] else None,
            "left_in_queue": left,
        }
    finally:
        await conn.close()


def drain_phase(args: argparse.Namespace) -> dict[str, Any]:
    log(f"drain: enqueueing {args.jobs} jobs")
    lo, hi, enqueue_s = run_async(
        enqueue_backlog(args.dsn, args.jobs, args.enqueue_chunk), not args.no_uvloop
    )
    log(f"drain: enqueued in {enqueue_s:.2f}s ({args.jobs / enqueue_s:.0f} jobs/s)")

    workers = Consumers(args, "drain")
    try:
        workers.start_and_wait_ready()
        server_cpu_at_release = server_cpu_seconds(args.postgres_pid)
        t_release = workers.do_release()
        log(f"drain: released {args.consumers} consumers (batch_size={args.batch_size})")
        results = workers.collect(timeout=args.drain_timeout)
        server_cpu_at_end = server_cpu_seconds(args.postgres_pid)
    finally:
        workers.terminate()

    db = run_async(completion_stats(args.dsn, lo, hi), not args.no_uvloop)
    processed = sum(r["processed"] for r in results)
    last_end = max(r["last_end"] for r in results if r["last_end"])
    last_exit = max(r["run_exit"] for r in results)
    if db["successful"] != args.jobs or db["left_in_queue"] != 0:
        log(f"drain: WARNING incomplete drain: {db}")
    window = db["last_success"] - t_release
    out = {
        "jobs": args.jobs,
        "consumers": args.consumers,
        "batch_size": args.batch_size,
        "processed_by_consumers": processed,
        "per_consumer": [r["processed"] for r in sorted(results, key=lambda r: r["idx"])],
        "logged_successful": db["successful"],
        "left_in_queue": db["left_in_queue"],
        "enqueue_seconds": round(enqueue_s, 3),
        "enqueue_jobs_per_s": round(args.jobs / enqueue_s, 1),
        "seconds_release_to_last_completion": round(window, 3),
        # Headline figure: completion = 'successful' row committed to pgqueuer_log.
        "drain_jobs_per_s": round(args.jobs / window, 1),
        # Cross-checks: last entrypoint return (before the status flush), and
        # consumer exit (includes drain-mode emptiness check and shutdown).
        "drain_jobs_per_s_to_last_handler_return": round(args.jobs / (last_end - t_release), 1),
        "drain_jobs_per_s_to_consumer_exit": round(args.jobs / (last_exit - t_release), 1),
        "seconds_release_to_first_pick": round(db["first_pick"] - t_release, 3)
        if db["first_pick"]
        else None,
        # From the release until every consumer has left QueueManager.run.
        "cpu": cpu_report(
            sum(r["cpu_seconds"] for r in results),
            server_cpu_at_end - server_cpu_at_release
            if server_cpu_at_end is not None and server_cpu_at_release is not None
            else None,
            args.jobs,
        ),
    }
    log(f"drain: {out['drain_jobs_per_s']} jobs/s over {window:.3f}s")
    return out


async def produce(
    dsn: str | None, rate: float, duration: float, tick: float, pool_size: int
) -> dict[str, Any]:
    """Open-loop producer: every `tick` seconds submit the jobs due so far.

    Submissions run as independent tasks on a pool, so a slow INSERT does not
    delay the schedule (no coordinated omission at tick granularity).
    """
    pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
    q = Queries(AsyncpgPoolDriver(pool))
    total = int(round(rate * duration))
    inflight: set[asyncio.Task[Any]] = set()
    call_durations: list[float] = []
    max_lag = 0.0

    async def submit(intended: list[float]) -> None:
        submitted = time.time()
        payloads = [PAYLOAD.pack(t, submitted) for t in intended]
        k = len(payloads)
        t0 = time.perf_counter()
        await q.enqueue([ENTRYPOINT] * k, payloads, [0] * k)
        call_durations.append(time.perf_counter() - t0)

    try:
        t_start = time.time() + 0.05
        sent = 0
        n_tick = 0
        while sent < total:
            n_tick += 1
            wake = t_start + n_tick * tick
            delay = wake - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.time()
            max_lag = max(max_lag, now - wake)
            due = min(total, int((now - t_start) * rate))
            if due > sent:
                intended = [t_start + i / rate for i in range(sent, due)]
                sent = due
                task = asyncio.create_task(submit(intended))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
        if inflight:
            await asyncio.gather(*inflight)
        t_end = time.time()
    finally:
        await pool.close()
    calls = sorted(call_durations)
    return {
        "submitted": total,
        "offered_seconds": round(t_end - t_start, 3),
        "achieved_rate_jobs_per_s": round(total / (t_end - t_start), 1),
        "enqueue_calls": len(calls),
        "enqueue_call_p50_ms": round(percentile(calls, 50) * 1e3, 3),
        "enqueue_call_p99_ms": round(percentile(calls, 99) * 1e3, 3),
        "max_tick_lag_ms": round(max_lag * 1e3, 3),
    }


async def enqueue_warmup(dsn: str | None, n: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        q = Queries(AsyncpgDriver(conn))
        for _ in range(n):
            await q.enqueue(ENTRYPOINT, WARMUP_PAYLOAD)
    finally:
        await conn.close()


def latency_phase(args: argparse.Namespace) -> dict[str, Any]:
    uv = not args.no_uvloop
    workers = Consumers(args, "continuous")
    try:
        workers.start_and_wait_ready()
        workers.do_release()
        log(f"latency: {args.consumers} consumers running; warming up")
        run_async(enqueue_warmup(args.dsn, args.warmup_jobs), uv)
        if not run_async(wait_until_empty(args.dsn, 60), uv):
            raise RuntimeError("warm-up jobs were not consumed")
        time.sleep(1.0)  # let consumers settle into their LISTEN wait

        log(f"latency: offering {args.rate:g} jobs/s for {args.duration:g}s (tick {args.tick_ms:g} ms)")
        consumer_pids = [p.pid for p in workers.procs if p.pid is not None]
        consumers_cpu_at_start = process_cpu_seconds(consumer_pids)
        server_cpu_at_start = server_cpu_seconds(args.postgres_pid)
        prod = run_async(
            produce(args.dsn, args.rate, args.duration, args.tick_ms / 1e3, args.producer_pool), uv
        )
        drained = run_async(wait_until_empty(args.dsn, args.drain_timeout), uv)
        time.sleep(0.5)  # let the last status flushes land
        # Read after the flushes: writing a job's final status is part of what it costs.
        consumers_cpu = process_cpu_seconds(consumer_pids) - consumers_cpu_at_start
        server_cpu_at_end = server_cpu_seconds(args.postgres_pid)
        workers.stop.set()
        results = workers.collect(timeout=60)
    finally:
        workers.terminate()

    lat_submit = [x for r in results for x in r["lat_submit"]]
    lat_intended = [x for r in results for x in r["lat_intended"]]
    lat_created = [x for r in results for x in r["lat_created"]]
    submit = summarize_ms(lat_submit)
    if args.raw_out:
        rows = sorted(
            (st, ls, lc, li)
            for r in results
            for st, ls, lc, li in zip(r["starts"], r["lat_submit"], r["lat_created"], r["lat_intended"])
        )
        with open(args.raw_out, "w") as fh:
            fh.write("start_epoch,submit_to_start_s,created_to_start_s,intended_to_start_s\n")
            fh.writelines(f"{a:.6f},{b:.6f},{c:.6f},{d:.6f}\n" for a, b, c, d in rows)
        log(f"latency: raw samples written to {args.raw_out}")
    out = {
        "offered_rate_jobs_per_s": args.rate,
        "duration_s": args.duration,
        "tick_ms": args.tick_ms,
        "producer": prod,
        "all_consumed": drained,
        "started_jobs_measured": len(lat_submit),
        "per_consumer": [len(r["lat_submit"]) for r in sorted(results, key=lambda r: r["idx"])],
        # Headline: handler start minus client-side time just before the enqueue call.
        "submit_to_start_p50_ms": submit["p50_ms"],
        "submit_to_start_p99_ms": submit["p99_ms"],
        "submit_to_start": submit,
        # Start minus pgqueuer.created (server now() of the INSERT).
        "created_to_start": summarize_ms(lat_created),
        # Start minus the open-loop schedule slot (adds up to one tick of batching).
        "intended_to_start": summarize_ms(lat_intended),
        # From the first submission until the queue is empty again and the status log is flushed.
        "cpu": cpu_report(
            consumers_cpu,
            server_cpu_at_end - server_cpu_at_start
            if server_cpu_at_end is not None and server_cpu_at_start is not None
            else None,
            prod["submitted"],
        ),
    }
    log(f"latency: p50 {submit['p50_ms']} ms, p99 {submit['p99_ms']} ms over {submit['count']} jobs")
    return out


async def server_info(dsn: str | None) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "server_version": await conn.fetchval("SHOW server_version"),
            "synchronous_commit": await conn.fetchval("SHOW synchronous_commit"),
            "fsync": await conn.fetchval("SHOW fsync"),
            "full_page_writes": await conn.fetchval("SHOW full_page_writes"),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
        }
    finally:
        await conn.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dsn_pos", nargs="?", metavar="DSN", help="PostgreSQL DSN (or use --dsn/env)")
    p.add_argument("--dsn", default=None)
    p.add_argument("--jobs", type=int, default=50_000, help="drain-phase backlog size")
    p.add_argument("--consumers", type=int, default=2, help="consumer processes")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--max-concurrent-tasks", type=int, default=None,
                   help="QueueManager.run max_concurrent_tasks (default: unlimited)")
    p.add_argument("--enqueue-chunk", type=int, default=5_000, help="jobs per enqueue call for the backlog")
    p.add_argument("--rate", type=float, default=1_000.0, help="latency-phase offered load, jobs/s")
    p.add_argument("--duration", type=float, default=10.0, help="latency-phase seconds")
    p.add_argument("--tick-ms", type=float, default=10.0,
                   help="producer tick; jobs due within a tick go in one enqueue call")
    p.add_argument("--producer-pool", type=int, default=4, help="producer connection pool size")
    p.add_argument("--warmup-jobs", type=int, default=100)
    p.add_argument("--drain-timeout", type=float, default=600.0)
    p.add_argument("--phase", choices=["all", "drain", "latency"], default="all")
    p.add_argument("--reinstall", action="store_true", help="drop and recreate the pgqueuer schema first")
    p.add_argument("--no-uvloop", action="store_true")
    p.add_argument("--no-vacuum", action="store_true", help="skip VACUUM/CHECKPOINT before each phase")
    p.add_argument("--raw-out", default=None, help="write latency-phase samples as CSV to this path")
    p.add_argument("--postgres-pid", type=int, default=None,
                   help="the postmaster's pid (server on this host): also report the server's CPU time")
    args = p.parse_args(argv)
    args.dsn = (
        args.dsn
        or args.dsn_pos
        or os.environ.get("PGQUEUER_DSN")
        or os.environ.get("PGDSN")
        or os.environ.get("DATABASE_URL")
    )  # None => asyncpg falls back to PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE
    if args.max_concurrent_tasks is not None and args.max_concurrent_tasks < 2 * args.batch_size:
        p.error("--max-concurrent-tasks must be at least 2 * --batch-size (pgqueuer rule)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    uv = not args.no_uvloop
    run_async(prepare_schema(args.dsn, args.reinstall, not args.no_vacuum), uv)
    report: dict[str, Any] = {
        "pgqueuer_version": pgqueuer.__version__,
        "asyncpg_version": asyncpg.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "postgres": run_async(server_info(args.dsn), uv),
        "event_loop": "uvloop" if uv else "asyncio",
    }
    if args.phase in ("all", "drain"):
        report["drain"] = drain_phase(args)
    if args.phase in ("all", "latency"):
        run_async(prepare_schema(args.dsn, False, not args.no_vacuum), uv)  # reset between phases
        report["latency"] = latency_phase(args)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
