#!/usr/bin/env python3
"""SIGTERM at any moment of `acidentity serve`'s start-up ends it within 5 s, 200 times.

Before issue 13 a SIGTERM between the `daemon.listening` line and the server's listen left a
daemon that never exited. The signal is sent after a random delay spread over the whole start-up
(process start, store opening, binding, workers starting, listening) and after it.

Usage: test_daemon_sigterm.py PATH_TO_ACIDENTITY [ROUNDS]
"""
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLI = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_startup(env):
    port = free_port()
    env = dict(env, ACID_DAEMON_LISTEN=f"127.0.0.1:{port}")
    start = time.monotonic()
    daemon = subprocess.Popen([CLI, "serve", "--workers", "2"], env=env, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - start < 30:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        return time.monotonic() - start
            except OSError:
                time.sleep(0.005)
        raise SystemExit("the daemon did not start within 30 s")
    finally:
        daemon.terminate()
        daemon.wait(10)


def main():
    work = tempfile.mkdtemp()
    env = dict(os.environ, ACID_STORE=f"sqlite:{work}/d.db", AUTH0_LOG_TOKEN="t" * 32)
    # The first start creates the store; later ones open it, as a restarted daemon does. The
    # delays spread over 1.5x the measured time from exec to a /healthz answer, so every step
    # of start-up (loading, store, bind, workers, listen) and the first moments running are hit.
    startup = max(measure_startup(env) for _ in range(3))
    print(f"start-up takes up to {startup * 1000:.0f} ms here", flush=True)
    rng = random.Random(13)
    failures, slowest, by_signal, exited = 0, 0.0, 0, 0
    for i in range(ROUNDS):
        env["ACID_DAEMON_LISTEN"] = f"127.0.0.1:{free_port()}"
        daemon = subprocess.Popen([CLI, "serve", "--workers", "2"], env=env,
                                  stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, startup * 1.5))
        sent = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
            failures += 1
            print(f"FAIL round {i}: still running 5 s after SIGTERM", flush=True)
            continue
        took = time.monotonic() - sent
        slowest = max(slowest, took)
        if code == -signal.SIGTERM:
            by_signal += 1  # the signal came before serve blocked it: the default action
        elif code == 0:
            exited += 1
        else:
            failures += 1
            print(f"FAIL round {i}: exit status {code}", flush=True)
    print(f"{ROUNDS} rounds, slowest exit {slowest * 1000:.0f} ms after SIGTERM; {exited} "
          f"stopped by serve (exit 0), {by_signal} by the signal's default action before serve "
          f"started")
    if exited < ROUNDS // 4:
        failures += 1
        print("FAIL: too few signals reached serve's start-up to test it", flush=True)
    print(f"daemon sigterm: {ROUNDS - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
