#!/usr/bin/env python3
"""Page weight and server time of every console view with 100,000 jobs in the store.

Starts the release daemon (`JobsBenchmark serve`, the daemon as `arbiter serve` runs it) on a loopback
port with a fresh SQLite data directory, fills the store through the batch API (most jobs queued, some
cancelled and dead through a worker, a few with a searchable word), signs in to the console as the
admin, then fetches every view N times and prints, per view: the HTML bytes, the page weight (HTML and
its stylesheet and script), and the server time (first byte on loopback) median, p95 and max.

    Benchmarks/console_pages.py BINARY [--jobs 100000] [--requests 20]
"""
import argparse
import http.client
import json
import re
import statistics
import sys
import time
import urllib.parse

from bench_daemon import Daemon

CONFIG = """tsdb: {sample_interval: 1s}
auth: {lockout: {failures: 1000000}}
job_types:
  mail: {max_attempts: 1}
  report: {max_attempts: 1}
  export: {max_attempts: 1}
"""


class Client:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)

    def request(self, method, path, body=None, headers=None):
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        first_byte = time.perf_counter() - started
        data = response.read()
        # Repeated headers (Set-Cookie) joined, one per line.
        headers = {}
        for name, value in response.getheaders():
            headers[name] = headers[name] + "\n" + value if name in headers else value
        return response.status, headers, data, first_byte


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    arguments = parser.parse_args()
    daemon = Daemon(arguments.binary, CONFIG, "console-bench-")
    try:
        address, token = daemon.address, daemon.token
        api = Client(address)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.monotonic()
        types = ["mail", "report", "export"]
        submitted = 0
        while submitted < arguments.jobs:
            batch = []
            for index in range(min(1000, arguments.jobs - submitted)):
                number = submitted + index
                word = "needle-%d" % number if number % 10_000 == 7 else "hay"
                batch.append({"type": types[number % 3], "payload": {"n": number, "note": word, "to": "user%d@example.com" % (number % 5000)},
                              "tags": ["t%d" % (number % 7)], "user_id": "u%d" % (number % 100)})
            status, _, body, _ = api.request("POST", "/api/v1/jobs/batch", json.dumps({"jobs": batch}), auth)
            if status not in (200, 201, 207):
                sys.exit(f"console_pages: batch answered {status}: {body[:300]!r}")
            submitted += len(batch)
        # A thousand cancelled through the API.
        status, _, body, _ = api.request("GET", "/api/v1/jobs?type=export&state=queued&limit=1000", headers=auth)
        for job in json.loads(body)["jobs"]:
            api.request("POST", f"/api/v1/jobs/{job['id']}/cancel", b"", auth)
        print(f"store filled: {arguments.jobs} jobs in {time.monotonic() - started:.1f} s", file=sys.stderr)

        browser = Client(address)
        status, headers, body, _ = browser.request("GET", "/console/login")
        sign_in = re.search(r"arbiter_sign_in=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        csrf = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"token": token, "csrf": csrf, "next": "/console"})
        status, headers, _, _ = browser.request(
            "POST", "/console/login", form, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"arbiter_sign_in={sign_in}"})
        session = re.search(r"arbiter_session=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        cookie = {"Cookie": f"arbiter_session={session}"}
        _, _, listing, _ = browser.request("GET", "/console/jobs?state=queued&type=mail", headers=cookie)
        job_id = re.search(rb'href="/console/jobs/([^"?]+)"', listing).group(1).decode()
        assets = sum(len(browser.request("GET", path)[2]) for path in ("/console/assets/console.css", "/console/assets/console.js"))
        # A few seconds of samples for the dashboards.
        time.sleep(3)
        views = [
            ("overview", "/console"),
            ("jobs", "/console/jobs"),
            ("jobs, state and type", "/console/jobs?state=queued&type=mail"),
            ("jobs, payload search", "/console/jobs?q=needle-30007"),
            ("jobs, page 100", None),
            ("retry all matching (confirm)", "/console/jobs/retry-matching?state=cancelled"),
            ("job", f"/console/jobs/{job_id}"),
            ("workers", "/console/workers"),
            ("alerts and rules", "/console/alerts"),
            ("actions", "/console/actions"),
            ("capacity", "/console/capacity"),
            ("consents", "/console/consents"),
            ("audit", "/console/audit"),
            ("audit, verify the chain", "/console/audit?verify=1"),
            ("dashboards", "/console/dashboards"),
            ("dashboard: overview, 1h", "/console/dashboards/arbiter-overview"),
            ("dashboard: jobs, 1h", "/console/dashboards/arbiter-jobs"),
        ]
        # Page 100: the cursor after 4,950 jobs of one type.
        _, _, body, _ = api.request("GET", "/api/v1/jobs?type=report&limit=1000", headers=auth)
        cursor = json.loads(body)["jobs"][-1]["id"]
        views[4] = ("jobs, a later page", f"/console/jobs?type=report&cursor={urllib.parse.quote(cursor)}")
        print(f"{'view':32} {'HTML':>9} {'weight':>9} {'median':>9} {'p95':>9} {'max':>9}")
        for name, path in views:
            times = []
            size = 0
            for _ in range(arguments.requests if "verify" not in name else max(3, arguments.requests // 5)):
                status, _, body, first_byte = browser.request("GET", path, headers=cookie)
                if status != 200:
                    sys.exit(f"console_pages: {path} answered {status}: {body[:300]!r}")
                times.append(first_byte * 1000)
                size = len(body)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"{name:32} {size / 1024:8.1f}K {(size + assets) / 1024:8.1f}K {statistics.median(times):7.1f}ms {p95:7.1f}ms {times[-1]:7.1f}ms")
        print(f"(stylesheet and script: {assets / 1024:.1f} KB, cached by the browser after the first page)")
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
