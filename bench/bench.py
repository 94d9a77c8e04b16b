#!/usr/bin/env python3
"""defdrive benchmarks: print figures, assert nothing (see bench/README.md).

    python3 bench/bench.py stats   [--backend sqlite|postgres|both]
    python3 bench/bench.py upload  [--backend ...] [--size-mib 1024]
    python3 bench/bench.py links   [--backend ...] [--size-mib 1024]
    python3 bench/bench.py storage [--backend ...] [--storage folder|s3|both] [--size-mib 1024]
    python3 bench/bench.py tus     [--backend ...] [--size-mib 1024]

stats:  latency and requests/s of GET /api/files/stats for one user with 1k and 100k files
        (rows seeded directly in the database, totals derived from them), measured with wrk.
upload: POST /api/upload of one file (default 1 GiB) with curl: throughput, and the
        server's peak RSS (VmHWM), next to `dd ... conv=fsync` of the same size on the same disk.
links:  GET /link/{token} of a 1 GiB file with curl next to `cat stored-file > /dev/null`
        (both from the page cache), and the server's peak RSS while 256 clients download a
        10 MiB file at once.
storage: upload and then download (through a public link) of one file with curl, on the
        folder store and on S3 storage (an s3s-fs server on 127.0.0.1, found on PATH or at
        $DEFDRIVE_TEST_S3S), with the server's peak RSS during each.
tus:    the same file through the command-line client (`defdrive upload`, tus, its default
        of one PATCH per run, and with --chunk-size 64MiB, whose segments are assembled at
        the end) next to POST /api/upload with curl; throughput and the server's peak RSS.
Uses the release binary (built first), wrk and curl (apt-get install wrk curl).
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "defdrive")
PG_ADMIN = os.environ.get("DEFDRIVE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
EXTENSIONS = ["pdf", "zip", "png", "txt", "jpg", "gz", "json", "mp4", "docx", "no_extension"]


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "defdrive"], cwd=ROOT, check=True)


class S3:
    """An s3s-fs server on a free port with an empty bucket in a folder of `workdir`."""

    BUCKET, KEY, SECRET = "defdrive-bench", "bench-key", "bench-secret-0123456789"

    def __init__(self, workdir):
        program = os.environ.get("DEFDRIVE_TEST_S3S") or shutil.which("s3s-fs")
        if not program:
            raise SystemExit("needs s3s-fs: cargo install --locked s3s-fs@0.14.1 --features binary")
        self.root = os.path.join(workdir, "s3")
        os.makedirs(os.path.join(self.root, self.BUCKET))
        self.proc = subprocess.Popen([program, "--host", "127.0.0.1", "--port", "0", "--access-key", self.KEY,
                                      "--secret-key", self.SECRET, self.root],
                                     env=dict(os.environ, RUST_LOG="s3s_fs=info"), stdout=subprocess.PIPE, text=True)
        for line in self.proc.stdout:
            match = re.search(r"server is running at (http://\S+)", line)
            if match:
                self.endpoint = match.group(1)
                break
        else:
            raise SystemExit("s3s-fs did not start")
        subprocess.Popen(["cat"], stdin=self.proc.stdout, stdout=subprocess.DEVNULL)

    def env(self):
        return {"STORAGE_URL": "s3://%s/objects" % self.BUCKET, "AWS_ACCESS_KEY_ID": self.KEY,
                "AWS_SECRET_ACCESS_KEY": self.SECRET, "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT": self.endpoint, "AWS_ALLOW_HTTP": "true"}

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Server:
    """A release defdrive on a fresh data folder and database."""

    def __init__(self, backend, workdir, extra_env=None):
        self.backend = backend
        self.data = os.path.join(workdir, "data")
        os.makedirs(self.data, exist_ok=True)
        if backend == "sqlite":
            self.db_path = os.path.join(self.data, "defdrive.db")
            self.database_url = "sqlite://" + self.db_path
        else:
            self.db_name = "defdrive_bench_%d" % os.getpid()
            psql(PG_ADMIN, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db_name)
            psql(PG_ADMIN, "CREATE DATABASE %s" % self.db_name)
            self.database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db_name
        self.env = dict(os.environ, DATA_PATH=self.data, DATABASE_URL=self.database_url, PORT="0",
                        RUST_LOG="warn", DEFAULT_MAX_FILES="1000000", DEFAULT_MAX_STORAGE=str(1 << 50))
        self.env.update(extra_env or {})
        self.spawn()

    def spawn(self):
        self.proc = subprocess.Popen([BINARY], env=self.env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            raise SystemExit("defdrive did not start: %r" % line)
        self.url = match.group(1)

    def request(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read())

    def user(self, name):
        self.request("POST", "/api/signup", {"username": name, "password": "password123"})
        return self.request("POST", "/api/login", {"username": name, "password": "password123"})["token"]

    def peak_rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return -1

    def cpu_seconds(self):
        """User plus system CPU time the server has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def restart(self):
        """A fresh process on the same data (tokens survive restarts)."""
        self.proc.terminate()
        self.proc.wait()
        self.spawn()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        if self.backend == "postgres":
            psql(PG_ADMIN, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db_name)


def psql(url, sql):
    env = dict(os.environ, PGOPTIONS="--client-min-messages=warning")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, stdout=subprocess.DEVNULL, env=env)


def seed(server, user_id, count, start):
    """Inserts `count` live files for `user_id` and brings the kept totals in step with the
    files table, the way uploads keep them."""
    ext = "CASE (n %% %d) %s END" % (len(EXTENSIONS), " ".join(
        "WHEN %d THEN '%s'" % (i, e) for i, e in enumerate(EXTENSIONS)))
    if server.backend == "sqlite":
        series = "WITH RECURSIVE seq(n) AS (SELECT %d UNION ALL SELECT n + 1 FROM seq WHERE n < %d) " % (start, start + count - 1)
        key = "printf('%032x', n)"
        source = "FROM seq"
    else:
        series = ""
        key = "lpad(to_hex(n), 32, '0')"
        source = "FROM generate_series(%d, %d) AS n" % (start, start + count - 1)
    now = int(time.time() * 1e6)
    sql = f"""
        {series}INSERT INTO files (created_at, updated_at, user_id, name, extension, size, hash, public, storage_key)
        SELECT {now}, {now}, {user_id}, 'file' || n || '.' || ({ext}), {ext}, 1000 + (n % 5000), '', FALSE, {key} {source};
        DELETE FROM file_type_totals WHERE user_id = {user_id};
        INSERT INTO file_type_totals (user_id, extension, file_count, total_size)
          SELECT user_id, extension, COUNT(*), SUM(size) FROM files WHERE user_id = {user_id} AND deleted_at IS NULL GROUP BY user_id, extension;
        UPDATE users SET used_files = (SELECT COUNT(*) FROM files WHERE user_id = {user_id} AND deleted_at IS NULL),
                         used_storage = (SELECT SUM(size) FROM files WHERE user_id = {user_id} AND deleted_at IS NULL)
          WHERE id = {user_id};
    """
    if server.backend == "sqlite":
        subprocess.run(["sqlite3", server.db_path], input=".timeout 10000\n" + sql, text=True, check=True)
    else:
        psql(server.database_url, sql)


def wrk(url, token, seconds=10):
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "--latency", "-H", "Authorization: Bearer " + token, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def ms(label):
        m = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return {"rps": rps, "avg_ms": ms("Latency"), "p50_ms": ms(" 50%"), "p99_ms": ms(" 99%")}


def bench_stats(backend):
    with tempfile.TemporaryDirectory(dir=ROOT + "/target") as work:
        server = Server(backend, work)
        try:
            token = server.user("bench")
            user_id = server.request("POST", "/api/login", {"username": "bench", "password": "password123"})["user"]["id"]
            results = {}
            seeded = 0
            for total in (1000, 100000):
                seed(server, user_id, total - seeded, seeded + 1)
                seeded = total
                stats = server.request("GET", "/api/files/stats", token=token)
                assert stats["file_count"] == total, stats["file_count"]
                wrk(server.url + "/api/files/stats", token, seconds=3)  # warm-up
                results[total] = wrk(server.url + "/api/files/stats", token)
                r = results[total]
                print("  %-8s %7d files: %8.0f req/s  avg %.3f ms  p50 %.3f ms  p99 %.3f ms"
                      % (backend, total, r["rps"], r["avg_ms"], r["p50_ms"], r["p99_ms"]), flush=True)
            ratio = results[100000]["avg_ms"] / results[1000]["avg_ms"]
            print("  %-8s latency at 100k / at 1k: %.2fx (target <= 1.5x)" % (backend, ratio), flush=True)
        finally:
            server.stop()


def dd_fsync(path, mib):
    start = time.monotonic()
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % mib, "conv=fsync"],
                   check=True, stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    os.remove(path)
    return mib / elapsed


def bench_upload(backend, mib):
    with tempfile.TemporaryDirectory(dir=ROOT + "/target") as work:
        source = os.path.join(work, "upload.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + source, "bs=1M", "count=%d" % mib], check=True, stderr=subprocess.DEVNULL)
        dd = dd_fsync(os.path.join(work, "dd.bin"), mib)
        server = Server(backend, work)
        try:
            token = server.user("bench")
            # Measure a process that has done nothing but this upload: signup and login
            # hash passwords with Argon2 (19 MiB each), which would dominate the peak.
            server.restart()
            base_rss = server.peak_rss_kib()
            start = time.monotonic()
            out = subprocess.run(["curl", "-sS", "--fail-with-body", "-H", "Authorization: Bearer " + token,
                                  "-F", "file=@" + source, server.url + "/api/upload"], capture_output=True, text=True)
            elapsed = time.monotonic() - start
            if out.returncode != 0:
                raise SystemExit("upload failed: " + out.stdout + out.stderr)
            size = json.loads(out.stdout)["file"]["Size"]
            assert size == mib << 20, size
            speed = mib / elapsed
            peak = server.peak_rss_kib()
            print("  %-8s upload %d MiB: %7.1f MiB/s   dd conv=fsync: %7.1f MiB/s   ratio %.2f (target >= 0.8)"
                  % (backend, mib, speed, dd, speed / dd), flush=True)
            print("  %-8s server peak RSS (VmHWM): %.1f MiB (%.1f MiB before the upload; target < 32 MiB)"
                  % (backend, peak / 1024, base_rss / 1024), flush=True)
        finally:
            server.stop()


def bench_tus(backend, mib):
    with tempfile.TemporaryDirectory(dir=ROOT + "/target") as work:
        source = os.path.join(work, "upload.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + source, "bs=1M", "count=%d" % mib], check=True, stderr=subprocess.DEVNULL)
        server = Server(backend, work)
        try:
            token = server.user("bench")
            runs = [("POST /api/upload (curl)", None), ("defdrive upload (tus, default)", []),
                    ("defdrive upload --chunk-size 64MiB", ["--chunk-size", "64MiB"])]
            for label, cli_args in runs:
                server.restart()
                base_rss = server.peak_rss_kib()
                start = time.monotonic()
                if cli_args is None:
                    file = upload_file(server, token, source)
                else:
                    env = dict(os.environ, DEFDRIVE_URL=server.url, DEFDRIVE_TOKEN=token,
                               XDG_CONFIG_HOME=os.path.join(work, "config"))
                    out = subprocess.run([BINARY, "upload", "--json", source] + cli_args, env=env,
                                         capture_output=True, text=True)
                    if out.returncode != 0:
                        raise SystemExit("defdrive upload failed: " + out.stderr)
                    file = json.loads(out.stdout)[0]
                elapsed = time.monotonic() - start
                assert file["Size"] == mib << 20, file
                print("  %-8s %-36s %d MiB: %7.1f MiB/s   server peak RSS %.1f MiB (%.1f idle)"
                      % (backend, label, mib, mib / elapsed, server.peak_rss_kib() / 1024, base_rss / 1024), flush=True)
                server.request("DELETE", "/api/files/%d" % file["ID"], token=token)
        finally:
            server.stop()


def upload_file(server, token, path):
    out = subprocess.run(["curl", "-sS", "--fail-with-body", "-H", "Authorization: Bearer " + token,
                          "-F", "file=@" + path, server.url + "/api/upload"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("upload failed: " + out.stdout + out.stderr)
    return json.loads(out.stdout)["file"]


def public_link(server, token, file_id):
    server.request("PUT", "/api/files/%d/access" % file_id, {"public": True}, token=token)
    return server.request("POST", "/api/files/%d/access" % file_id, {"name": "bench", "public": True}, token=token)["link"]


ROUNDS = 5


def rounded(figures):
    return "/".join("%.0f" % f for f in figures)


def timed_cpu(cmd):
    """Wall seconds and the child's CPU seconds (user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = timed(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(cmd):
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def bench_links(backend, mib):
    with tempfile.TemporaryDirectory(dir=ROOT + "/target") as work:
        big = os.path.join(work, "big.bin")
        small = os.path.join(work, "small.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + big, "bs=1M", "count=%d" % mib], check=True, stderr=subprocess.DEVNULL)
        subprocess.run(["dd", "if=/dev/urandom", "of=" + small, "bs=1M", "count=10"], check=True, stderr=subprocess.DEVNULL)
        server = Server(backend, work)
        try:
            token = server.user("bench")
            big_link = public_link(server, token, upload_file(server, token, big)["ID"])
            small_link = public_link(server, token, upload_file(server, token, small)["ID"])
            stored = max((os.path.join(d, f) for d, _, fs in os.walk(os.path.join(server.data, "blobs")) for f in fs),
                         key=os.path.getsize)
            timed(["cat", stored])  # warm the page cache
            # Alternating rounds, best of each: a shared machine only ever slows a run down.
            # CPU times show where the time goes: the server's share (sendfile) next to what
            # the client spends receiving and what cat spends reading.
            cats, links, cpu = [], [], {"server": [], "curl": [], "cat": []}
            for _ in range(ROUNDS):
                seconds, used = timed_cpu(["cat", stored])
                cats.append(mib / seconds)
                cpu["cat"].append(used)
                before = server.cpu_seconds()
                seconds, used = timed_cpu(["curl", "-sS", "--fail", "-o", "/dev/null", big_link])
                links.append(mib / seconds)
                cpu["curl"].append(used)
                cpu["server"].append(server.cpu_seconds() - before)
            cat, link = max(cats), max(links)
            print("  %-8s link download %d MiB: %7.1f MiB/s   cat > /dev/null: %7.1f MiB/s   ratio %.2f (target >= 0.8)"
                  "   [best of %d; all link %s, cat %s]"
                  % (backend, mib, link, cat, link / cat, ROUNDS, rounded(links), rounded(cats)), flush=True)
            print("  %-8s CPU seconds per download (least of %d): server %.2f, curl receiving %.2f, cat reading %.2f"
                  % ((backend, ROUNDS) + tuple(min(cpu[k]) for k in ("server", "curl", "cat"))), flush=True)
            server.restart()  # a fresh process (and a new port): measure only the downloads
            small_link = server.url + "/link/" + small_link.rsplit("/", 1)[1]
            base = server.peak_rss_kib()
            clients = 256
            script = 'seq %d | xargs -P %d -I{} curl -sS --fail -o /dev/null "%s"' % (clients, clients, small_link)
            elapsed = timed(["bash", "-c", script])
            print("  %-8s %d clients x 10 MiB at once: %.1f s, %.0f MiB/s in all; server peak RSS %.1f MiB (%.1f MiB idle)"
                  % (backend, clients, elapsed, clients * 10 / elapsed, server.peak_rss_kib() / 1024, base / 1024), flush=True)
        finally:
            server.stop()


def bench_storage(backend, storage, mib):
    with tempfile.TemporaryDirectory(dir=ROOT + "/target") as work:
        source = os.path.join(work, "upload.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + source, "bs=1M", "count=%d" % mib], check=True, stderr=subprocess.DEVNULL)
        s3 = S3(work) if storage == "s3" else None
        server = Server(backend, work, s3.env() if s3 else None)
        try:
            token = server.user("bench")
            server.restart()  # measure a process that has done nothing but this upload
            idle = server.peak_rss_kib()
            start = time.monotonic()
            file = upload_file(server, token, source)
            upload = mib / (time.monotonic() - start)
            assert file["Size"] == mib << 20, file["Size"]
            upload_rss = server.peak_rss_kib()
            link = public_link(server, token, file["ID"])
            server.restart()  # and one that has done nothing but this download
            link = server.url + "/link/" + link.rsplit("/", 1)[1]
            download = mib / timed(["curl", "-sS", "--fail", "-o", "/dev/null", link])
            download_rss = server.peak_rss_kib()
            print("  %-8s %-6s %d MiB: upload %7.1f MiB/s (peak RSS %.1f MiB)   link download %7.1f MiB/s "
                  "(peak RSS %.1f MiB)   idle %.1f MiB"
                  % (backend, storage, mib, upload, upload_rss / 1024, download, download_rss / 1024, idle / 1024),
                  flush=True)
        finally:
            server.stop()
            if s3:
                s3.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["stats", "upload", "links", "storage", "tus", "all"])
    parser.add_argument("--storage", choices=["folder", "s3", "both"], default="both")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    for tool in ("wrk", "curl", "psql", "sqlite3"):
        if not shutil.which(tool):
            raise SystemExit("needs %s (apt-get install wrk curl postgresql-client sqlite3)" % tool)
    build()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print("machine: %d cores, %s" % (os.cpu_count(), subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()))
    if args.what in ("stats", "all"):
        print("GET /api/files/stats (wrk -t2 -c16 -d10s):")
        for backend in backends:
            bench_stats(backend)
    if args.what in ("upload", "all"):
        print("POST /api/upload:")
        for backend in backends:
            bench_upload(backend, args.size_mib)
    if args.what in ("tus", "all"):
        print("resumable upload (tus) vs POST /api/upload:")
        for backend in backends:
            bench_tus(backend, args.size_mib)
    if args.what in ("links", "all"):
        print("GET /link/{token}:")
        for backend in backends:
            bench_links(backend, args.size_mib)
    if args.what in ("storage", "all"):
        print("upload and link download by storage:")
        storages = ["folder", "s3"] if args.storage == "both" else [args.storage]
        for backend in backends:
            for storage in storages:
                bench_storage(backend, storage, args.size_mib)


if __name__ == "__main__":
    main()
