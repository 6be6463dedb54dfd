#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_study_measure — the study's measuring code on made-up data (no VM,
no root): the outside counter over pcap files written here, the tail-gap
filter, the gap decomposition and its guest events, vfailover's own
segments, the median's confidence interval, and gen-tables' blocks."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "python")]  # e2elib; vfolib
from e2elib import measure, migration, pcapcount  # noqa: E402

PROBE = "02:e2:e0:00:00:01"
GUEST = "52:54:00:e2:e0:01"


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def frame(src, dst, seq, stream=0):
    """A 60 B probe frame as vfprobe documents it."""
    payload = struct.pack("<HQQ", 0x5646, seq, 0)
    udp = struct.pack(">HHHH", 1024, 49152 + stream, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 19, 0, 1])) + udp
    f = mac(dst) + mac(src) + b"\x08\x00" + ip
    return f + b"\0" * (60 - len(f))


def write_pcap(path, records, nano=False):
    """records: [(µs, frame)]."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0,
                            65535, 1))
        for t, data in records:
            frac = (t % 1000000) * (1000 if nano else 1)
            f.write(struct.pack("<IIII", t // 1000000, frac, len(data), len(data)))
            f.write(data)


class Counter(unittest.TestCase):
    def test_count_two_paths(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.pcap"), os.path.join(d, "b.pcap")
            # Sent 0..9 on path a at 1 ms; replies for all but 4 and 5; 6..9
            # come back on path b after a 30 ms gap (nanosecond file).
            ra = [(1000000 + q * 1000, frame(PROBE, GUEST, q)) for q in range(10)]
            ra += [(1000100 + q * 1000, frame(GUEST, PROBE, q)) for q in range(4)]
            rb = [(1033000 + q * 1000, frame(GUEST, PROBE, q)) for q in range(6, 10)]
            rb.append((1040000, frame(GUEST, PROBE, 9)))  # a duplicate
            rb.append((1041000, b"\xff" * 60))  # not a probe frame
            write_pcap(a, ra)
            write_pcap(b, rb, nano=True)
            c = pcapcount.count([a, b], PROBE, GUEST)
            self.assertEqual((c["sent"], c["received"], c["lost"], c["duplicates"]),
                             (10, 8, 2, 1))
            self.assertEqual(c["longest_gap_us"], 1039000 - 1003100)
            self.assertEqual((c["gap"]["seq_before"], c["gap"]["seq_after"]), (3, 6))

    def test_gap_by_the_receivers_definition(self):
        # Replies 0..9 at 1 ms, but 9 ms between 4 and 5 (none missing) and
        # 3 ms between 7 and 9 (8 missing).  With vfprobe's 10 ms gap_us the
        # 9 ms silence is no gap; the 3 ms one with a loss is.
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "a.pcap")
            t = {q: 1000000 + q * 1000 + (8000 if q >= 5 else 0) for q in range(10)}
            t[9] = t[7] + 3000
            rows = [(t[q] - 500, frame(PROBE, GUEST, q)) for q in range(10)]
            rows += [(t[q], frame(GUEST, PROBE, q)) for q in range(10) if q != 8]
            write_pcap(a, sorted(rows))
            raw = pcapcount.count([a], PROBE, GUEST)
            theirs = pcapcount.count([a], PROBE, GUEST, min_gap_us=10000)
        self.assertEqual((raw["longest_gap_us"], raw["longest_gap_any_us"]), (9000, 9000))
        self.assertEqual((theirs["longest_gap_us"], theirs["longest_gap_any_us"]), (3000, 9000))
        self.assertEqual((theirs["gap"]["seq_before"], theirs["gap"]["seq_after"]), (7, 9))


class Gaps(unittest.TestCase):
    def test_tail_filter(self):
        rep = {"t0_us": 0, "gaps": [
            {"kind": "seq+silence", "duration_us": 100, "start_us": 0, "end_us": 100},
            {"kind": "seq+tail", "duration_us": 900, "start_us": 0, "end_us": 900},
            {"kind": "tail", "duration_us": 800, "start_us": 0, "end_us": 800},
            {"kind": "silence+tail", "duration_us": 700, "start_us": 0, "end_us": 700}]}
        kept = measure.vfprobe_gaps(rep)
        self.assertEqual([g["kind"] for g in kept], ["seq+silence"])

    def test_lost_outside(self):
        sent_at = lambda q: q * 1000.0  # noqa: E731
        self.assertEqual(measure.lost_outside([1, 5, 6, 20], sent_at, [(4000, 7000)]), [1, 20])


    def test_lost_packets_placed_at_their_time_on_the_wire(self):
        # As in a libvirt run: the sender not scheduled from 10 ms to the
        # STOP at 100 ms, then seq 10..99 on the wire at once, 100.5 ms,
        # and lost in the pause (100..200 ms).
        sent_at = lambda q: q * 1000.0  # noqa: E731
        sent_c = [(q * 1000.0, q, 1) for q in range(10)]
        sent_c += [(100500.0, q, 1) for q in range(10, 100)]
        sent_c += [(q * 1000.0 + 200, q, 1) for q in range(100, 300)]
        lost = list(range(10, 200))
        when, lag = measure.wire_times(sent_c, sent_at)
        self.assertEqual(when(10), 100500.0)
        self.assertEqual(when(400), 400000.0)  # not captured: its schedule
        self.assertEqual(lag, 90500.0)
        pause = [(100000 - 20000, 200000 + 5000)]
        self.assertEqual(len(measure.lost_outside(lost, sent_at, pause)), 70)
        self.assertEqual(measure.lost_outside(lost, when, pause), [])
        self.assertEqual(measure.wire_times([], sent_at)[1], None)

    def test_cut_window_ends_at_the_last_packet_sent_on_the_vf_side(self):
        sent_at = lambda q: q * 1000.0  # noqa: E731
        # The switch command at 41.9 ms; seq 42 still left on the VF side.
        self.assertEqual(measure.cut_window(8000, 41900, [7, 8, 41, 42], sent_at, 100000),
                         (8000, 42000))
        # Nothing on the VF side after the command: the command's time.
        self.assertEqual(measure.cut_window(8000, 41900, [7, 8, 41], sent_at, 100000),
                         (8000, 41900))
        # Sent on the VF side after the STOP (the host back on it): not the cut's.
        self.assertEqual(measure.cut_window(8000, 41900, [41, 150], sent_at, 100000),
                         (8000, 41900))


class Decomposition(unittest.TestCase):
    def test_chain_adds_up(self):
        ev = {"rx_last": 990, "turn": 1200, "avail": 1150, "fwd": 1210, "tap_out": 1215,
              "rx_first": 1216}
        segs = measure.decompose(ev, stop=1000, resume=1100)
        self.assertAlmostEqual(sum(s["ms"] for s in segs) * 1000, 1216 - 990)
        self.assertEqual([s["owner"] for s in segs],
                         ["host", "QEMU", "QEMU/TCG", "host/QEMU", "vfailover", "QEMU", "host"])
        own = measure.own_segments(dict(ev, resume=1100), None, {}, 1000)
        self.assertEqual(own["after_resume_ms"], 0.01)

    def test_own_segment_within_the_virtio_announce(self):
        # QEMU's trace on the destination: announces asked at 50 (before
        # the RESUME), 1099 (1 ms before it: counts), 1300 and 1900, each
        # acked (the ack alone is no pause: the kernel's driver acks too).
        # The PMD's RARPs left at 1150 and 1380; nothing answered the last.
        # The packet was there at 1200 and forwarded at 1400: 80 µs of
        # those 200 inside a PMD pause window.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "dst.trace")
            with open(path, "w") as f:
                for t in (50, 1099, 1300, 1900):
                    f.write(f"7@0.{t:06d}:virtio_net_announce_notify \n")
                    f.write(f"7@0.{t + 20:06d}:virtio_net_handle_announce round 1\n")
            later = measure.announce_windows({"dst": path}, 2200)
            windows = measure.announce_windows({"dst": path}, 1100, [1380, 1150])
        self.assertEqual(later, [(1300, None), (1900, None)])
        self.assertEqual(windows, [(1099, 1150), (1300, 1380), (1900, None)])
        ev = {"turn": 1200, "avail": 1150, "fwd": 1400, "tap_out": 1405}
        own = measure.own_segments(dict(ev, resume=1100), None, {}, 1000, windows)
        self.assertEqual(own["after_resume_ms"], 0.2)
        self.assertEqual(own["after_resume_announce_ms"], 0.08)
        # The PMD never answered (no RARP): no pause to count.
        own = measure.own_segments(dict(ev, resume=1100), None, {}, 1000, [(1300, None)])
        self.assertEqual(own["after_resume_announce_ms"], 0.0)
        # Overlapping windows count once; an open one runs to the end.
        self.assertEqual(measure.overlap_us(0, 100, [(10, 50), (40, 60), (90, None)]), 60)
        self.assertNotIn("after_resume_announce_ms",
                         measure.own_segments(dict(ev, resume=1100), None, {}, 1000))

    def test_wait_before_stop_ends_at_the_vm_stop(self):
        # A packet in the ring since 5000 µs before the STOP event; QEMU's
        # trace has the VM stopped 3000 µs before that event: 2 ms waited.
        sync = {"offset_us": 0, "err_us": 10}
        ev = {"pending_since": 95000, "q_src_stopped": 97000, "resume": 200000}
        own = measure.own_segments(ev, None, {"src": sync}, 100000)
        self.assertEqual(own["before_stop_ms"], 2.0)
        del ev["q_src_stopped"]  # no trace: the STOP event
        own = measure.own_segments(ev, None, {"src": sync}, 100000)
        self.assertEqual(own["before_stop_ms"], 5.0)

    def test_spanning_batch_beyond_the_threshold_is_a_stall(self):
        # The packet waits 9 ms before the stop; a 1 ms stall 8.5 ms before
        # it; the batch that spans the pause began 4 ms before the stop:
        # 1 + (4 - 1) ms stalled, 5 ms vfailover's.
        sync = {"offset_us": 0, "err_us": 10}
        marks = {"stall_us": 1000, "lcores": [{"marks": [
            {"kind": "stall", "from_us": 91500, "to_us": 92500},
            {"kind": "stall", "from_us": 96000, "to_us": 250000}]}]}
        ev = {"pending_since": 91000, "resume": 200000}
        own = measure.own_segments(ev, marks, {"src": sync}, 100000)
        self.assertEqual(own["before_stop_stalled_ms"], 4.0)
        self.assertEqual(own["before_stop_ms"], 5.0)

    def test_guest_events(self):
        # Guest clock = host + 5000 before the pause, + 5000 - 100000 after
        # (it stood still for the 100 ms pause from 1_000_000 to 1_100_000).
        pre = {"offset_us": 5000, "err_us": 50}
        post = {"offset_us": -95000, "err_us": 50}
        g = 1000000 + 5000  # the guest's clock at the STOP
        marks = {"quiet_us": 2000, "lcores": [{"marks": [
            {"kind": "stall", "from_us": g - 3000, "batch_us": g - 3000, "to_us": g - 1500,
             "cpu_us": 10, "pkts": 0},
            {"kind": "stall", "from_us": g - 400, "batch_us": g - 400, "to_us": g + 30000,
             "cpu_us": 20000, "pkts": 0},
            {"kind": "rx_resumed", "from_us": g - 900, "batch_us": g + 31000,
             "to_us": g + 31500, "cpu_us": 21000, "pkts": 3}]}]}
        ev = measure.guest_events(marks, {"src": pre, "dst": post}, 1000000, 1100000)
        self.assertEqual(ev["turn"], 1100000 + 30000)
        self.assertEqual(ev["fwd"], 1100000 + 31500)
        self.assertEqual(ev["fwd_last"], 1000000 - 900)
        self.assertEqual(ev["frozen_ms"], 100.0)
        self.assertAlmostEqual(ev["turn_cpu_ms"], 19.99)
        # The spanning batch moved packets itself: forwarded at its end.
        marks["lcores"][0]["marks"][1]["pkts"] = 5
        ev = measure.guest_events(marks, {"src": pre, "dst": post}, 1000000, 1100000)
        self.assertEqual(ev["fwd"], ev["turn"])


class FakeQmp:
    """query-migrate answers one status of 'statuses' per call (the last
    one repeated); every event is there at once."""

    def __init__(self, statuses, log):
        self.statuses, self.log = list(statuses), log

    def cmd(self, name, **_):
        if name != "query-migrate":
            return {}
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.log.append(status)
        return {"status": status, "total-time": 5 if status == "completed" else None}

    def wait_event(self, name, _timeout):
        return {"event": name, "timestamp": {"seconds": 1, "microseconds": 0}}


class FakeVm:
    def __init__(self, statuses, log):
        self.qmp = FakeQmp(statuses, log)


class Migrate(unittest.TestCase):
    def test_on_active_once_when_wait_unplug_ends(self):
        # The eswitch steering moves the host to the backup side when the
        # guest has ejected the VF: the first "active", not "wait-unplug".
        polled, calls = [], []
        src = FakeVm(["setup", "wait-unplug", "wait-unplug", "active", "active", "completed"],
                     polled)
        migration.migrate(src, FakeVm(["completed"], []), 1,
                          on_active=lambda: calls.append(list(polled)))
        self.assertEqual(calls, [["setup", "wait-unplug", "wait-unplug", "active"]])

    def test_on_active_when_active_was_never_seen(self):
        calls = []
        migration.migrate(FakeVm(["wait-unplug", "completed"], []), FakeVm(["completed"], []), 1,
                          on_active=lambda: calls.append(1))
        self.assertEqual(calls, [1])


class MedianCI(unittest.TestCase):
    def test_orders(self):
        lo, hi, cov = measure.median_ci(list(range(1, 11)))
        self.assertEqual((lo, hi), (2, 9))
        self.assertGreaterEqual(cov, 0.95)
        lo, hi, cov = measure.median_ci([3, 1, 2])
        self.assertEqual((lo, hi, cov), (1, 3, 0.75))


class GenTables(unittest.TestCase):
    def test_block_rewritten_and_checked(self):
        tool = os.path.join(HERE, "..", "..", "scripts", "gen-tables")
        with tempfile.TemporaryDirectory() as d:
            res = os.path.join(d, "r.json")
            with open(res, "w") as f:
                json.dump({"tables": {"t": {"columns": ["a", "b"], "rows": [["x", 1.25]]}}}, f)
            md = os.path.join(d, "doc.md")
            with open(md, "w") as f:
                f.write(f"intro\n<!-- generated:table {res}#t -->\nstale\n"
                        "<!-- /generated:table -->\nend\n")
            self.assertEqual(subprocess.run([tool, "--check", md],
                                            capture_output=True).returncode, 1)
            self.assertEqual(subprocess.run([tool, md]).returncode, 0)
            with open(md) as f:
                text = f.read()
            self.assertIn("| x | 1.2 |", text)
            self.assertNotIn("stale", text)
            self.assertEqual(subprocess.run([tool, "--check", md]).returncode, 0)


def run_study():
    """tests/e2e/run-study loaded as a module (a script without .py)."""
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader
    loader = SourceFileLoader("run_study", os.path.join(HERE, "run-study"))
    mod = module_from_spec(spec_from_loader("run_study", loader))
    loader.exec_module(mod)
    return mod


class Merge(unittest.TestCase):
    def record(self, **kw):
        r = {"scenario": "vfailover-planned-libvirt", "lost_outside_pause": 805,
             "outside": {"lost_outside_pause": 0, "agree": True, "diff": {},
                         "capture_drops": {}},
             "own": {"after_resume_ms": 0.0, "before_stop_ms": 0.0}}
        r.update(kw)
        return r

    def test_older_record_counted_by_the_capture(self):
        rs = run_study()
        w = rs.wire_placed(self.record())
        self.assertEqual((w["lost_outside_pause"], w["lost_outside_pause_scheduled"]), (0, 805))
        self.assertTrue(w["checks"]["no_loss_outside_pause"]["ok"])
        # A record counted so already, or without a capture: as it is.
        r = self.record(lost_outside_pause_scheduled=805)
        self.assertIs(rs.wire_placed(r), r)
        r = self.record(outside=None)
        self.assertIs(rs.wire_placed(r), r)

    def test_a_part_without_some_scenarios(self):
        rs = run_study()
        with tempfile.TemporaryDirectory() as d:
            part = os.path.join(d, "p")
            os.makedirs(part)
            doc = {"meta": {"command": "c", "commit": "x", "rate_pps": 1000}, "rules": {},
                   "scenarios": {n: {"label": n, "rules": [], "runs": [], "failed": []}
                                 for n in ("bonding", "bonding-best")},
                   "failures": ["bonding-best run 0: RunError: x", "bonding run 1: y"]}
            with open(os.path.join(part, "results.json"), "w") as f:
                json.dump(doc, f)
            out = os.path.join(d, "m")
            rs.merge([part + ":-bonding-best"], out)
            with open(os.path.join(out, "results.json")) as f:
                m = json.load(f)
            self.assertEqual(list(m["scenarios"]), ["bonding"])
            self.assertEqual(m["failures"], ["part 0: bonding run 1: y"])
            self.assertEqual(m["meta"]["parts"][0]["without"], ["bonding-best"])
            with self.assertRaises(SystemExit):
                rs.merge([part + ":-nosuch"], os.path.join(d, "n"))


if __name__ == "__main__":
    unittest.main()
