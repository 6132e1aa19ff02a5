#!/usr/bin/env python3
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
"""The runner's 127.0.0.1 services, the other end of every scenario.

One process, one thread per listener, each on a free port written to
PORTS (JSON) once all of them listen:
  sink   reads to EOF, answers "OK <bytes>"; logs only length and SHA-256
  shell  a reverse-shell handler: sends a command that writes the
         scenario's "done" marker from the shell, then "exit"
  pool   a mining pool: answers a JSON-RPC login with a job
  http   static files from WWW (second stages, the stage library, shellcode)
Runs until SIGTERM, or until the runner that started it is gone.
Nothing listens beyond 127.0.0.1.
"""
import argparse
import functools
import hashlib
import http.server
import json
import os
import signal
import socketserver
import sys
import threading

SHELL_COMMAND = b'touch "$SCENARIO_MARKER_DIR/$SCENARIO_NAME.done"; exit\n'
POOL_JOB = (b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"1","job":{"blob":"0707e4'
            b'a0e6a50600","job_id":"1","target":"b88d0600","algo":"rx/0"},"status":"OK"}}\n')

log_lock = threading.Lock()
log_file = None


def log(what):
    with log_lock:
        log_file.write(what + "\n")
        log_file.flush()


def read_to_eof(conn, limit=1 << 20):
    data = b""
    while len(data) < limit:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(15)
        try:
            self.serve()
        except OSError as e:
            log(f"{self.kind}: {e}")

    def serve(self):
        raise NotImplementedError


class Sink(Handler):
    kind = "sink"

    def serve(self):
        data = read_to_eof(self.request)
        log(f"sink: {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}")
        self.request.sendall(b"OK %d\n" % len(data))


class Shell(Handler):
    kind = "shell"

    def serve(self):
        self.request.sendall(SHELL_COMMAND)
        out = read_to_eof(self.request)
        log(f"shell: session closed, {len(out)} bytes of output")


class Pool(Handler):
    kind = "pool"

    def serve(self):
        line = self.request.recv(4096)
        if b'"login"' in line:
            self.request.sendall(POOL_JOB)
            log("pool: login, job sent")
        read_to_eof(self.request)


class QuietHTTP(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        log("http: " + fmt % args)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global log_file
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--www", required=True, help="directory served over HTTP")
    ap.add_argument("--ports", required=True, help="where to write the ports (JSON)")
    ap.add_argument("--log", required=True, help="what the services saw")
    a = ap.parse_args()
    log_file = open(a.log, "a", encoding="utf-8")

    servers = {
        "sink": Server(("127.0.0.1", 0), Sink),
        "shell": Server(("127.0.0.1", 0), Shell),
        "pool": Server(("127.0.0.1", 0), Pool),
        "http": Server(("127.0.0.1", 0),
                       functools.partial(QuietHTTP, directory=a.www)),
    }
    for s in servers.values():
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(a.ports + ".tmp", "w", encoding="utf-8") as f:
        json.dump({k: s.server_address[1] for k, s in servers.items()}, f)
    os.replace(a.ports + ".tmp", a.ports)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()
    while not stop.wait(1):
        if os.getppid() != parent:  # the runner died without stopping us
            break
    for s in servers.values():
        s.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
