"""Latency probe run as its own process (so the load a test makes does not skew it): GET each path in turn on a
new connection every `gap` seconds until `stop_file` exists or `max_seconds` pass, printing one line per request,
"PATH MS" (a failed request counts as 1e9 ms).

usage: python healthz_probe.py HOST PORT STOP_FILE MAX_SECONDS PATH [PATH ...]
"""

import http.client
import os
import sys
import time


def main() -> None:
    host, port, stop_file, max_seconds, *paths = sys.argv[1:]
    end = time.monotonic() + float(max_seconds)
    while time.monotonic() < end and not os.path.exists(stop_file):
        for p in paths:
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.request("GET", p)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                ms = (time.perf_counter() - t0) * 1000 if resp.status == 200 else 1e9
            except OSError:
                ms = 1e9
            print(p, f"{ms:.3f}", flush=True)
        time.sleep(0.01)


if __name__ == "__main__":
    main()
