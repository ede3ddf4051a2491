"""The release daemon for the Python benchmarks (`JobsBenchmark serve`, the same daemon as
`arbiter serve`): started on a kernel-picked loopback port with a fresh data directory, ready when it
logs "arbiter is ready", stopped with SIGTERM and its directory removed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


class Daemon:
    def __init__(self, binary, config_text, prefix):
        self.directory = tempfile.mkdtemp(prefix=prefix)
        config = os.path.join(self.directory, "arbiter.yml")
        with open(config, "w") as handle:
            handle.write(config_text)
        self.data = os.path.join(self.directory, "data")
        log_path = os.path.join(self.directory, "daemon.log")
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([binary, "serve", config, "127.0.0.1:0", self.data], stdout=self.log, stderr=subprocess.STDOUT)
        self.address = self.wait_ready(log_path)
        self.token = open(os.path.join(self.data, "admin.token")).read().strip()

    def wait_ready(self, log_path, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the daemon exited: {open(log_path).read()[-2000:]}")
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    match = re.search(r'msg="arbiter is ready" address=(\S+)', line) or re.search(r'"arbiter is ready".*"address":"([^"]+)"', line)
                    if match:
                        return match.group(1)
            time.sleep(0.2)
        sys.exit("the daemon did not become ready")

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
