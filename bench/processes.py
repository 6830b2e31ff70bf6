"""What bench/web.py reads of the processes it measures, from /proc: the CPU that gunicorn,
PostgreSQL and Redis spend, gunicorn's workers and their memory, and when the server has finished
what an earlier load left it."""

import time
from pathlib import Path

CPU_GROUPS = ("gunicorn", "postgres", "redis")
CPU_KEYS = tuple(f"cpu_{group}" for group in CPU_GROUPS)


def cpu_ticks(master: int) -> dict[str, int]:
    """CPU time (user + system, in clock ticks) so far of gunicorn's processes, PostgreSQL's and
    Redis's on this machine: where a page's cost goes, beside its throughput. A process's ticks
    include those of its children that have ended (cutime, cstime): PostgreSQL's backends and
    autovacuum workers come and go, and their time would otherwise vanish from the sum."""
    totals = dict.fromkeys(CPU_GROUPS, 0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        if int(entry.name) == master or int(fields[1]) == master:
            group = "gunicorn"
        elif command.startswith("postgres"):
            group = "postgres"
        elif command.startswith("redis-server"):
            group = "redis"
        else:
            continue
        totals[group] += sum(int(value) for value in fields[11:15])
    return totals


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# The server is idle when gunicorn and PostgreSQL together spend at most this many clock ticks in
# IDLE_WINDOW seconds (1 tick is 10 ms on Linux: at most 5 % of one core).
IDLE_TICKS = 1
IDLE_WINDOW = 0.1


def wait_until_idle(master: int, *, seconds: float = 5.0) -> bool:
    """Wait until the server has answered what an earlier load left queued. wrk stops sending at
    the end of its run, but the requests already in the listen queue are still served: after a
    slow page at 32 connections, a few hundred milliseconds of them. A page measured straight
    after would count that wait in its latency and that CPU in its own. False if the server is
    still busy after `seconds`."""
    deadline = time.monotonic() + seconds
    before = cpu_ticks(master)
    while time.monotonic() < deadline:
        time.sleep(IDLE_WINDOW)
        now = cpu_ticks(master)
        if now["gunicorn"] + now["postgres"] - before["gunicorn"] - before["postgres"] <= IDLE_TICKS:
            return True
        before = now
    return False
