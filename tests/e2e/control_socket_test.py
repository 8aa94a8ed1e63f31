#!/usr/bin/python3
"""Hostile input on lbd's control socket, while traffic flows through lbd.

lbd serves the NAT topology (topology.py) with `control: {max_clients: 16,
idle_timeout_ms: 2000}`; a client in its namespace sends HTTP requests
through the VIP the whole time. On the control socket, in turn:

- garbage bytes, invalid UTF-8, JSON that is not an object, a missing or
  wrong protocol version, an unknown command, a malformed `args`, JSON
  nested 30 000 deep: each gets its exact error reply and the connection
  goes on serving;
- a request line larger than the 64 KiB limit, and an 8 MiB stream without
  a newline: `too_large`, then the connection is closed;
- 300 connections that connect and never send: 16 are served (and closed
  with `timeout` after 2 s), 284 get `busy`; 16 that send half a line and
  stall: `timeout` naming the bytes; 100 that connect and close at once; 50
  that pipeline 200 requests and close mid-reply;
- 16 legitimate clients holding every slot: the 17th gets `busy`;
- a client that pipelines 30 000 requests and never reads: other clients
  are served meanwhile, and it is closed once its replies stop draining,
  every reply it received whole up to the close.

After all of that: `lbctl status` answers, every HTTP request through the
VIP succeeded, the socket is still mode 0660, lbd holds exactly the file
descriptors it held before (/proc/PID/fd), and it stops cleanly.
"""
import argparse
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time

from topology import PYTHON, VIP, Topology, check_nothing_left

MAX_CLIENTS = 16
IDLE_MS = 2000
MAX_REQUEST = 65536

# Requests through the VIP, each on a new connection, until stdin closes;
# then one JSON line with the successes and failures.
REQUESTS = r'''
import http.client, json, sys, threading, time
vip = sys.argv[1]
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
ok, errors = 0, []
while not done.is_set():
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=5)
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status == 200 and body.startswith("rs"):
            ok += 1
        else:
            errors.append(f"status {r.status}: {body!r}")
    except Exception as e:
        errors.append(repr(e))
    time.sleep(0.02)
print(json.dumps({"ok": ok, "failed": len(errors), "errors": errors[:10]}), flush=True)
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def error(code, message):
    return {"v": 1, "error": {"code": code, "message": message}}


class Control:
    def __init__(self, path):
        self.path = path

    def connect(self, timeout=10):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    @staticmethod
    def read_line(s):
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(1)
            if not chunk:
                raise EOFError(f"closed after {data!r}")
            data += chunk
        return json.loads(data)

    @staticmethod
    def read_to_eof(s):
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def ask(self, s, raw):
        s.sendall(raw)
        return self.read_line(s)

    def status_ok(self, s):
        reply = self.ask(s, b'{"v":1,"cmd":"status"}\n')
        return "result" in reply and "pid" in reply["result"]

    def lines_to_eof(self, s):
        return [json.loads(l) for l in self.read_to_eof(s).splitlines()]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def bad_requests(ctl):
    """Malformed requests on one connection: each answered, the next served."""
    s = ctl.connect()
    cases = [
        (b"\x00\x01\x02garbage\x7f\xff\n", error("bad_json", "the request is not valid JSON")),
        (b'{"v":1,"cmd":"\xff\xfe\xc0"}\n', error("bad_json", "the request is not valid JSON")),
        (b'{"v":1,"cmd":"st\xc3"}\n', error("bad_json", "the request is not valid JSON")),
        (b"[1,2,3]\n", error("bad_json", "the request is not a JSON object")),
        (b'"status"\n', error("bad_json", "the request is not a JSON object")),
        (b"42\n", error("bad_json", "the request is not a JSON object")),
        (b"\n", error("bad_json", "the request is not valid JSON")),
        (b"\r\n", error("bad_json", "the request is not valid JSON")),
        (b'{"cmd":"status"}\n', error("bad_request", 'the request has no protocol version "v"')),
        (b'{"v":"1","cmd":"status"}\n', error("bad_request", '"v" in the request must be an integer')),
        (b'{"v":2,"cmd":"status"}\n',
         error("unsupported_version", "protocol version 2 is not supported (this side speaks 1)")),
        (b'{"v":-1,"cmd":"status"}\n',
         error("unsupported_version", "protocol version -1 is not supported (this side speaks 1)")),
        (b'{"v":1}\n', error("bad_request", 'the request has no "cmd"')),
        (b'{"v":1,"cmd":""}\n', error("bad_request", '"cmd" must be a non-empty string')),
        (b'{"v":1,"cmd":7}\n', error("bad_request", '"cmd" must be a non-empty string')),
        (b'{"v":1,"cmd":"status","args":[1]}\n', error("bad_request", '"args" must be a JSON object')),
        (b"[" * 30000 + b"]" * 30000 + b"\n", error("bad_json", "the request is not a JSON object")),
        (b"{" * 30000 + b"\n", error("bad_json", "the request is not valid JSON")),
    ]
    for raw, expected in cases:
        reply = ctl.ask(s, raw)
        check(reply == expected, f"{raw[:40]!r}{'...' if len(raw) > 40 else ''} -> {expected['error']['code']}: "
                                 f"{expected['error']['message']} (got {reply})")
    reply = ctl.ask(s, b'{"v":1,"cmd":"reboot"}\n')
    m = re.fullmatch(r"unknown command 'reboot' \(known: ([a-z_]+(?:, [a-z_]+)*)\)",
                     reply.get("error", {}).get("message", ""))
    known = m.group(1).split(", ") if m else []
    check(reply.get("error", {}).get("code") == "unknown_command" and m is not None and known == sorted(known)
          and {"status", "services", "stats", "reload"} <= set(known),
          f"an unknown command -> unknown_command listing the known ones, sorted ({reply})")
    nested = b'{"v":1,"cmd":"status","args":{"deep":' + b"[" * 20000 + b"]" * 20000 + b"}}\n"
    check(ctl.status_ok(s) and len(nested) < MAX_REQUEST and "result" in ctl.ask(s, nested),
          "after all of them the same connection still serves status, also with 20 000-deep args")
    s.close()


def oversized(ctl):
    too_large = error("too_large", f"request exceeds {MAX_REQUEST} bytes; closing the connection")
    s = ctl.connect()
    pad = MAX_REQUEST - len(b'{"v":1,"cmd":"status","args":{"pad":""}}')
    line = b'{"v":1,"cmd":"status","args":{"pad":"' + b"p" * pad + b'"}}\n'
    check(len(line) == MAX_REQUEST + 1 and "result" in ctl.ask(s, line),
          "a request of exactly the limit (64 KiB and its newline) is served")
    s.sendall(b'{"v":1,"cmd":"status","args":{"pad":"' + b"p" * (pad + 1) + b'"}}\n')
    check(ctl.lines_to_eof(s) == [too_large], "one byte more: too_large, then the connection is closed")
    s.close()

    # 8 MiB without a newline, written while the reply is read: the server
    # stops reading at the limit, answers and closes.
    s = ctl.connect()
    def stream():
        try:
            for _ in range(128):
                s.sendall(b"x" * 65536)
        except OSError:
            pass
    writer = threading.Thread(target=stream)
    writer.start()
    got = ctl.lines_to_eof(s)
    writer.join(timeout=30)
    check(got == [too_large] and not writer.is_alive(), f"an 8 MiB stream without newline: too_large, closed ({got})")
    s.close()


def half_open(ctl):
    busy = error("busy", f"too many control clients (limit {MAX_CLIENTS})")
    idle = error("timeout", f"no request for {IDLE_MS} ms; closing the connection")
    socks = [ctl.connect() for _ in range(300)]
    replies = []
    for s in socks:
        try:
            replies.append(ctl.lines_to_eof(s))
        except socket.timeout:
            replies.append("no reply")
        s.close()
    served = sum(r == [idle] for r in replies)
    refused = sum(r == [busy] for r in replies)
    check(served == MAX_CLIENTS and refused == 300 - MAX_CLIENTS,
          f"300 silent connections: {MAX_CLIENTS} closed with timeout after {IDLE_MS} ms, the other "
          f"{300 - MAX_CLIENTS} told busy (got {served} + {refused}; others {[r for r in replies if r not in ([idle], [busy])][:3]})")

    partial = b'{"v":1,"cmd":"sta'
    stalled = error("timeout", f"request incomplete after {IDLE_MS} ms ({len(partial)} bytes without a newline); "
                               "closing the connection")
    socks = [ctl.connect() for _ in range(MAX_CLIENTS)]
    for s in socks:
        s.sendall(partial)
    got = [ctl.lines_to_eof(s) for s in socks]
    for s in socks:
        s.close()
    check(all(g == [stalled] for g in got), f"{MAX_CLIENTS} half lines that stall: timeout naming the bytes ({got[0]})")

    for _ in range(100):
        ctl.connect().close()
    request = b'{"v":1,"cmd":"status"}\n' * 200
    for _ in range(50):
        s = ctl.connect()
        s.sendall(request)
        s.recv(100)       # the replies have started
        s.close()         # mid-reply
    s = ctl.connect()
    check(ctl.status_ok(s), "after 100 connect-and-close and 50 closes mid-reply, status is served")
    s.close()


def too_many_clients(ctl):
    holders = [ctl.connect() for _ in range(MAX_CLIENTS)]
    all_served = all(ctl.status_ok(s) for s in holders)
    extra = ctl.connect()
    got = ctl.lines_to_eof(extra)
    extra.close()
    check(all_served and got == [error("busy", f"too many control clients (limit {MAX_CLIENTS})")],
          f"{MAX_CLIENTS} clients hold every slot: the next one gets busy ({got})")
    for s in holders:
        s.close()


def never_reads(ctl):
    s = ctl.connect()
    s.setblocking(False)
    request = b'{"v":1,"cmd":"status"}\n'
    burst = request * 30000
    sent = 0
    deadline = time.monotonic() + 10
    while sent < len(burst) and time.monotonic() < deadline:
        try:
            sent += s.send(burst[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    check(sent < len(burst), f"the server stopped reading a client that does not read its replies "
                             f"({sent} of {len(burst)} bytes taken)")
    other = ctl.connect()
    check(ctl.status_ok(other), "meanwhile another client is served")
    other.close()
    time.sleep(IDLE_MS / 1000 * 1.25 + 1.5)
    s.setblocking(True)
    s.settimeout(10)
    data = Control.read_to_eof(s)
    s.close()
    lines = data.split(b"\n")
    whole = [json.loads(l) for l in lines[:-1]]
    check(len(whole) > 100 and all("result" in r for r in whole),
          f"it was closed after {IDLE_MS} ms without progress; the {len(whole)} replies it got are whole "
          f"status results")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()

    t = Topology()
    pids = []
    try:
        t.build()
        t.start_servers()
        driver = t.start_lbd(args.lbd, args.lbctl,
                             control=f"  max_clients: {MAX_CLIENTS}\n  idle_timeout_ms: {IDLE_MS}\n")
        pid = t.lbd.pid
        pids.append(pid)
        print(f"lbd running on {driver}, pid {pid}")
        check(os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "lbd", "the pid is lbd's")
        ctl = Control(t.socket)
        time.sleep(IDLE_MS / 1000 * 1.25 + 1)   # start_lbd's status probes have left
        fds_before = fd_count(pid)

        traffic = t.spawn("requests", t.ns["client"], [PYTHON, "-c", REQUESTS, VIP],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        time.sleep(1)

        for case in (bad_requests, oversized, half_open, too_many_clients, never_reads):
            print(f"--- {case.__name__}", flush=True)
            case(ctl)
            check(t.lbd.poll() is None, f"lbd is still running after {case.__name__}")

        traffic.stdin.close()
        r = json.loads(traffic.stdout.readline())
        traffic.wait(timeout=30)
        check(r["failed"] == 0 and r["ok"] >= 50,
              f"requests through the VIP succeeded throughout ({r['ok']} ok, {r['failed']} failed {r['errors']})")

        status = t.lbctl("--json", "status", check=False)
        check(status.returncode == 0 and json.loads(status.stdout)["pid"] == pid, "lbctl status answers")
        check(stat.S_IMODE(os.stat(t.socket).st_mode) == 0o660, "the socket is still mode 0660")
        deadline = time.monotonic() + 10
        while fd_count(pid) != fds_before and time.monotonic() < deadline:
            time.sleep(0.2)
        check(fd_count(pid) == fds_before, f"no file descriptor leaked ({fds_before} before, {fd_count(pid)} after)")
        check(t.stop_lbd() == 0, "lbd stops cleanly (exit 0)")
    finally:
        t.close()
    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
