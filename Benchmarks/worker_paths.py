#!/usr/bin/env python3
"""Two worker paths the WebSocket benchmark does not cover, on the release daemon with SQLite and the
audit log on:

- exec: one `arbiter worker --exec TYPE=true --concurrency 1` draining a backlog. Each job is a
  process spawn (`/bin/sh -c true`), so the floor is how fast this machine runs `/bin/sh -c true`
  one after another, measured in the same run.
- long-poll: 2 HTTP workers (this script's own processes, one keep-alive connection each) that lease
  with `POST /api/v1/workers/{id}/lease?wait=30s` and report each job with `POST /api/v1/jobs/{id}/complete`.

For each: jobs/s = jobs / (last `finished_at` in the store - release), and the daemon's CPU time per job.

    Benchmarks/worker_paths.py ARBITER_BINARY DAEMON_BINARY [--exec-jobs 2000] [--poll-jobs 20000]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time

from bench_daemon import Daemon

CONFIG = """auth: {lockout: {failures: 1000000}}
job_types:
  spawn: {max_attempts: 1}
  poll: {max_attempts: 1}
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Api:
    def __init__(self, address, token):
        host, port = address.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.connection.request(method, path, body=json.dumps(body) if body is not None else b"", headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None


def submit(api, job_type, count):
    api.call("POST", f"/api/v1/job-types/{job_type}/pause")
    for start in range(0, count, 1000):
        api.call("POST", "/api/v1/jobs/batch", {"jobs": [{"type": job_type, "payload": {"n": n}} for n in range(start, min(count, start + 1000))]})


def last_finished(data):
    connection = sqlite3.connect(os.path.join(data, "arbiter.db"))
    try:
        return connection.execute("SELECT MAX(finished_at), COUNT(*) FROM jobs WHERE state = 'succeeded'").fetchone()
    finally:
        connection.close()


def wait_succeeded(data, count, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished, done = last_finished(data)
        if done >= count:
            return finished
        time.sleep(0.5)
    sys.exit(f"worker_paths: {count} jobs did not finish in {timeout} s")


def poll_worker(address, token, worker_id, stop_after):
    api = Api(address, token)
    api.call("POST", "/api/v1/workers/register", {"id": worker_id, "capabilities": ["poll"], "concurrency": 100})
    done = 0
    while done < stop_after:
        answer = api.call("POST", f"/api/v1/workers/{worker_id}/lease?wait=5s")
        for job in answer.get("jobs", []):
            api.call("POST", f"/api/v1/jobs/{job['id']}/complete", {"token": job["lease"]["token"], "result": None})
            done += 1
        if not answer.get("jobs"):
            return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arbiter")
    parser.add_argument("daemon")
    parser.add_argument("--exec-jobs", type=int, default=2000)
    parser.add_argument("--poll-jobs", type=int, default=20000)
    arguments = parser.parse_args()
    daemon = Daemon(arguments.daemon, CONFIG, "worker-paths-")
    data, address, token = daemon.data, daemon.address, daemon.token
    try:
        api = Api(address, token)

        # The floor: /bin/sh -c true, one after another.
        started = time.monotonic()
        subprocess.run(["/bin/sh", "-c", f"i=0; while [ $i -lt {arguments.exec_jobs} ]; do /bin/sh -c true; i=$((i+1)); done"], check=True)
        floor = arguments.exec_jobs / (time.monotonic() - started)

        submit(api, "spawn", arguments.exec_jobs)
        environment = dict(os.environ, ARBITER_TOKEN=token)
        worker = subprocess.Popen(
            [arguments.arbiter, "worker", "--server", f"http://{address}", "--id", "spawner", "--exec", "spawn=true", "--concurrency", "1"],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        cpu = cpu_seconds(daemon.pid)
        released = int(time.time() * 1000)
        api.call("POST", "/api/v1/job-types/spawn/resume")
        finished = wait_succeeded(data, arguments.exec_jobs)
        daemon_cpu = (cpu_seconds(daemon.pid) - cpu) * 1e6 / arguments.exec_jobs
        worker.terminate()
        worker.wait(timeout=60)
        rate = arguments.exec_jobs / ((finished - released) / 1000)
        print(f"exec, 1 slot:       {rate:8.0f} jobs/s   floor (/bin/sh -c true in a loop) {floor:.0f}/s, ratio {rate / floor:.2f}×; daemon {daemon_cpu:.0f} µs/job")

        submit(api, "poll", arguments.poll_jobs)
        cpu = cpu_seconds(daemon.pid)
        released = int(time.time() * 1000)
        api.call("POST", "/api/v1/job-types/poll/resume")
        workers = [multiprocessing.Process(target=poll_worker, args=(address, token, f"poller-{n}", arguments.poll_jobs)) for n in range(2)]
        for process in workers:
            process.start()
        finished = wait_succeeded(data, arguments.exec_jobs + arguments.poll_jobs)
        daemon_cpu = (cpu_seconds(daemon.pid) - cpu) * 1e6 / arguments.poll_jobs
        for process in workers:
            process.join(timeout=60)
        rate = arguments.poll_jobs / ((finished - released) / 1000)
        print(f"long-poll, 2 HTTP:  {rate:8.0f} jobs/s   (leases of up to 100 jobs, one complete request per job); daemon {daemon_cpu:.0f} µs/job")
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
