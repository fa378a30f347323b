#!/usr/bin/python3
"""Hostile clients against the real guts-collector, written apart from the project's C++ client.

Stubs are generated from proto/ at test time with grpc_tools (Debian's python3-grpc-tools).
Every case asserts the status the collector answers, that it stays live and ready, and that an
honest agent streaming alongside (its own certificate, its own spool) loses nothing: at the end
every seq it made is stored, in order.

usage: hostile_client_test.py COLLECTOR_BINARY PROTO_DIR MINT_SCRIPT WORK_DIR [unittest args]
"""

import hashlib
import io
import json
import os
import queue
import resource
import socket
import subprocess
import sys
import tarfile
import threading
import time
import unittest
import urllib.request

import grpc_stubs  # beside this file

COLLECTOR, PROTO_DIR, MINT, WORK = sys.argv[1:5]
del sys.argv[1:5]

grpc_stubs.generate(PROTO_DIR, WORK)

import grpc  # noqa: E402
from guts.diag.v1 import agent_pb2, bundle_pb2, fleet_pb2  # noqa: E402

CERTS = os.path.join(WORK, "certs")
subprocess.run([MINT, CERTS, "honest", "v2", "flood", "lossy", "bulky"], check=True,
               stdout=subprocess.DEVNULL)
GUTSCTL = os.environ.get("GUTSCTL", "")

# Bearer tokens (--tokens-file) for the callers of the query caps and admin cases.
TOKENS = {"viewer": "viewer-token-7f3a9c", "operator": "operator-token-51d2e8"}
TOKENS_FILE = os.path.join(WORK, "tokens")
with open(TOKENS_FILE, "w") as f:
    for role, token in TOKENS.items():
        f.write("%s %s %s-bot\n" % (role, hashlib.sha256(token.encode()).hexdigest(), role))

CONNECT = "/guts.diag.v1.AgentService/Connect"
HISTORY = "/guts.diag.v1.FleetService/GetNodeHistory"
STATUS = "/guts.diag.v1.FleetService/GetFleetStatus"
GET_NODE = "/guts.diag.v1.FleetService/GetNode"
COLLECT = "/guts.diag.v1.FleetService/CollectBundle"
LIST_BUNDLES = "/guts.diag.v1.FleetService/ListBundles"
UPLOAD = "/guts.diag.v1.AgentService/UploadBundle"


def read(name):
    with open(os.path.join(CERTS, name), "rb") as f:
        return f.read()


def credentials(who):
    return grpc.ssl_channel_credentials(read("ca.crt"), read(who + ".key"), read(who + ".crt"))


def now_ms():
    return int(time.time() * 1000)


class Collector:
    """A guts-collector process on free ports, optionally with a low open-file limit."""

    def __init__(self, name, extra=(), nofile=None, data_dir=None, rate=("20", "50")):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        ready = os.path.join(self.dir, "ready.json")
        if os.path.exists(ready):
            os.remove(ready)
        self.log = open(os.path.join(self.dir, "collector.log"), "ab")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) \
            if nofile else None
        self.proc = subprocess.Popen(
            [COLLECTOR, "--data-dir", data_dir or os.path.join(self.dir, "data"),
             "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--ready-file", ready,
             "--tls-cert", os.path.join(CERTS, "collector.crt"),
             "--tls-key", os.path.join(CERTS, "collector.key"),
             "--tls-ca", os.path.join(CERTS, "ca.crt"),
             "--max-snapshots-per-second-per-agent", rate[0],
             "--max-snapshot-burst-per-agent", rate[1],
             "--handshake-timeout", "2s"] + list(extra),
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit)
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("collector did not start: " + self.log_text())
            time.sleep(0.05)
        with open(ready) as f:
            addrs = json.load(f)
        self.grpc, self.http = addrs["grpc"], addrs["http"]
        self.port = int(self.grpc.rsplit(":", 1)[1])

    def channel(self, who, slow_reader=False):
        """A channel with `who`'s certificate. A slow reader keeps gRPC's initial 64 KiB
        flow-control window (no BDP probing), so what it does not read stays on the server."""
        options = [("grpc.http2.bdp_probe", 0)] if slow_reader else []
        return grpc.secure_channel(self.grpc, credentials(who), options=options)

    def token_channel(self, role):
        """A client without a certificate, with a bearer token of `role`."""
        creds = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(read("ca.crt")),
            grpc.access_token_call_credentials(TOKENS[role]))
        return grpc.secure_channel(self.grpc, creds)

    def node(self, node, who="operator"):
        """GetNode of `node` (NodeDetail), or None while it is unknown."""
        channel = self.channel(who)
        call = channel.unary_unary(GET_NODE, request_serializer=None, response_deserializer=None)
        try:
            return fleet_pb2.NodeDetail.FromString(call(
                fleet_pb2.GetNodeRequest(node_id=node).SerializeToString(), timeout=10))
        except grpc.RpcError:
            return None
        finally:
            channel.close()

    def wait_for_seq(self, node, seq, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            detail = self.node(node)
            if detail is not None and detail.latest.seq == seq:
                return detail
            time.sleep(0.2)
        raise AssertionError("%s never stored seq %d" % (node, seq))

    def http_get(self, path, timeout=3):
        return self.http_call(urllib.request.Request("http://%s%s" % (self.http, path)), timeout)

    def http_post(self, path, token=None, timeout=60):
        req = urllib.request.Request("http://%s%s" % (self.http, path), data=b"", method="POST")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        return self.http_call(req, timeout)

    @staticmethod
    def http_call(req, timeout):
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def rss_bytes(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.dir, "collector.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Stream:
    """One Connect stream of hand-made messages (bytes or AgentMessage)."""

    def __init__(self, collector, who):
        self.channel = collector.channel(who)
        self.out = queue.Queue()
        call = self.channel.stream_stream(CONNECT, request_serializer=None,
                                          response_deserializer=None)

        def requests():
            while True:
                m = self.out.get()
                if m is None:
                    return
                yield m if isinstance(m, bytes) else m.SerializeToString()

        self.responses = call(requests())

    def send(self, message):
        self.out.put(message)

    def replies(self):
        """Replies until the stream ends; then (code, details)."""
        got = []
        try:
            for raw in self.responses:
                got.append(agent_pb2.CollectorMessage.FromString(raw))
        except grpc.RpcError as e:
            return got, e.code(), e.details()
        return got, grpc.StatusCode.OK, ""

    def close(self):
        self.out.put(None)
        self.channel.close()


def hello(node, next_seq=1, last_acked=0, start_ms=None):
    m = agent_pb2.AgentMessage()
    m.hello.node_id = node
    m.hello.agent_version = "hostile-test"
    m.hello.next_seq = next_seq
    m.hello.last_acked_seq = last_acked
    m.hello.agent_start_unix_ms = start_ms if start_ms is not None else now_ms()
    m.hello.sent_unix_ms = now_ms()
    m.hello.interval_ms = 100
    m.hello.role = "validator"
    return m


def snapshot(node, seq, **fields):
    m = agent_pb2.AgentMessage()
    m.snapshot.node_id = node
    m.snapshot.seq = seq
    m.snapshot.taken_unix_ms = now_ms()
    m.snapshot.interval_ms = 100
    for k, v in fields.items():
        setattr(m.snapshot, k, v)
    return m


class HonestAgent(threading.Thread):
    """Snapshots every 100 ms into its own spool; streams them; replays what is unacked after any
    error, as the real agent does. seqs_stored() is the audit at the end."""

    def __init__(self, collector, node="honest", who=None):
        super().__init__(daemon=True)
        self.who = who or "agent-" + node
        self.collector, self.node = collector, node
        self.next_seq, self.acked = 1, 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.making = threading.Event()
        self.making.set()
        self.errors = []
        self.start()

    def run(self):
        maker = threading.Thread(target=self.make, daemon=True)
        maker.start()
        while not self.stopping.is_set():
            self.stream_once()
            time.sleep(0.3)

    def make(self):
        while self.making.is_set():
            with self.lock:
                self.next_seq += 1
            time.sleep(0.1)

    def stream_once(self):
        channel = self.collector.channel(self.who)
        try:
            call = channel.stream_stream(CONNECT, request_serializer=None,
                                         response_deserializer=None)
            sent = [0]

            def requests():
                with self.lock:
                    yield hello(self.node, self.next_seq, self.acked).SerializeToString()
                    sent[0] = self.acked
                while not self.stopping.is_set():
                    with self.lock:
                        upto = self.next_seq - 1
                    for seq in range(sent[0] + 1, upto + 1):
                        yield snapshot(self.node, seq).SerializeToString()
                    sent[0] = max(sent[0], upto)
                    time.sleep(0.05)

            for raw in call(requests(), timeout=600):
                m = agent_pb2.CollectorMessage.FromString(raw)
                with self.lock:
                    if m.HasField("hello_ack"):
                        self.acked = max(self.acked, min(m.hello_ack.last_stored_seq,
                                                         self.next_seq - 1))
                        # Never back: what this stream sent already is not sent twice.
                        sent[0] = max(sent[0], self.acked)
                    elif m.HasField("ack"):
                        self.acked = max(self.acked, m.ack.seq)
        except grpc.RpcError as e:
            self.errors.append(e.code())
        finally:
            channel.close()

    def finish(self, timeout=60):
        """Stops making snapshots and waits until every one is acked; the last seq made."""
        # Stop the maker only: the streamer keeps going until all is acked.
        self.making.clear()
        time.sleep(0.2)
        with self.lock:
            last = self.next_seq - 1
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.acked >= last:
                    break
            time.sleep(0.1)
        self.stopping.set()
        return last

    def seqs_stored(self, upto):
        channel = self.collector.channel("operator")
        call = channel.unary_stream(HISTORY, request_serializer=None, response_deserializer=None)
        req = fleet_pb2.NodeHistoryRequest(node_id=self.node, limit=100000)
        seqs = [fleet_pb2.HistoryPoint.FromString(raw).seq
                for raw in call(req.SerializeToString(), timeout=30)]
        channel.close()
        return [s for s in seqs if s <= upto]


class HostileClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.collector = Collector("main")
        cls.honest = HonestAgent(cls.collector)
        time.sleep(1)

    @classmethod
    def tearDownClass(cls):
        last = cls.honest.finish()
        stored = cls.honest.seqs_stored(last)
        cls.collector.stop()
        assert stored == list(range(1, last + 1)), \
            "honest agent lost snapshots: %d stored of %d" % (len(stored), last)

    def assertServing(self, collector=None):
        c = collector or self.collector
        self.assertEqual(c.http_get("/healthz")[0], 200)
        status, body = c.http_get("/readyz")
        self.assertEqual(status, 200, body)
        channel = c.channel("operator")
        call = channel.unary_unary(STATUS, request_serializer=None, response_deserializer=None)
        call(fleet_pb2.FleetStatusRequest().SerializeToString(), timeout=10)
        channel.close()

    def refused(self, messages, who="agent-v2"):
        s = Stream(self.collector, who)
        for m in messages:
            s.send(m)
        _, code, details = s.replies()
        s.close()
        return code, details

    def test_garbage_bytes_are_invalid_argument_with_a_warning(self):
        code, details = self.refused([b"\xff\x01\x02garbage\x00\x99" * 10])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        self.assertIn("does not parse", details)
        self.assertIn("does not parse", self.collector.log_text())
        self.assertServing()

    def test_invalid_utf8_string_is_invalid_argument(self):
        raw = hello("v2").SerializeToString().replace(b"hostile-test", b"\xff\xfe\xfd-not-utf8-")
        code, details = self.refused([raw])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        self.assertServing()

    def test_every_string_field_is_bounded(self):
        big = snapshot("v2", 1)
        big.snapshot.health.version = "x" * 5000
        code, details = self.refused([hello("v2"), big])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        self.assertIn("snapshot.health.version", details)
        deep = hello("v2")
        deep.hello.labels["k"] = "v"
        deep.hello.p2p_addr = "1" * 4097
        code, details = self.refused([deep])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        self.assertServing()

    def test_seq_at_the_top_of_the_range_cannot_wedge_a_node(self):
        code, details = self.refused([hello("v2", 1), snapshot("v2", 1), snapshot("v2", 2),
                                      snapshot("v2", 2 ** 64 - 1)])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        code, details = self.refused([hello("v2", 3, 2), snapshot("v2", 3),
                                      snapshot("v2", 3 + 10 ** 9)])
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
        self.assertIn("ahead of", details)
        # The node's own agent carries on: its next snapshots are stored.
        s = Stream(self.collector, "agent-v2")
        s.send(hello("v2", 4, 3))
        for seq in (4, 5, 6):
            s.send(snapshot("v2", seq))
        deadline = time.time() + 10
        stored = []
        while time.time() < deadline and stored[-1:] != [6]:
            channel = self.collector.channel("operator")
            call = channel.unary_stream(HISTORY, request_serializer=None,
                                        response_deserializer=None)
            stored = [fleet_pb2.HistoryPoint.FromString(r).seq for r in call(
                fleet_pb2.NodeHistoryRequest(node_id="v2").SerializeToString(), timeout=10)]
            channel.close()
            time.sleep(0.2)
        s.close()
        self.assertEqual(stored[-4:], [3, 4, 5, 6])
        self.assertServing()

    def test_a_hello_claiming_a_huge_backlog_buys_no_credit(self):
        week_ago = now_ms() - 7 * 24 * 3600 * 1000
        s = Stream(self.collector, "agent-flood")
        s.send(hello("flood", next_seq=10 ** 7, last_acked=0, start_ms=week_ago))
        for seq in range(1, 20001):
            s.send(snapshot("flood", seq))
        got, code, details = s.replies()
        s.close()
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED, details)
        acked = max([m.ack.seq for m in got if m.HasField("ack")] or [0])
        # Burst 50 plus 20/s over the collector's own life (this suite runs for well under 10
        # minutes), never the claimed ten million.
        self.assertLess(acked, 50 + 20 * 600)
        self.assertServing()

    def test_slow_http_clients_do_not_starve_the_probes(self):
        host, port = self.collector.http.rsplit(":", 1)
        slow = []
        for _ in range(40):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            slow.append(sock)
        started = time.time()
        for i in range(8):
            for sock in slow:
                try:
                    sock.sendall(b"X")
                except OSError:
                    pass
            status, _ = self.collector.http_get("/healthz", timeout=4)
            self.assertEqual(status, 200)
            time.sleep(0.5)
        for sock in slow:
            sock.close()
        self.assertLess(time.time() - started, 40)
        self.assertServing()

    def test_lost_history_is_accounted(self):
        # The agent's spool dropped seqs 3 and 4 (it says so in seq 5), and seq 8 never came.
        s = Stream(self.collector, "agent-lossy")
        s.send(hello("lossy", 1))
        for seq in (1, 2):
            s.send(snapshot("lossy", seq))
        s.send(snapshot("lossy", 5, spool_dropped=2))
        for seq in (6, 7, 9):
            s.send(snapshot("lossy", seq))
        deadline = time.time() + 10
        loss = None
        while time.time() < deadline:
            channel = self.collector.channel("operator")
            call = channel.unary_unary(GET_NODE, request_serializer=None,
                                       response_deserializer=None)
            try:
                detail = fleet_pb2.NodeDetail.FromString(call(
                    fleet_pb2.GetNodeRequest(node_id="lossy").SerializeToString(), timeout=10))
                loss = detail.loss
                if detail.latest.seq == 9:
                    break
            except grpc.RpcError:
                pass
            finally:
                channel.close()
            time.sleep(0.2)
        s.close()
        self.assertIsNotNone(loss)
        self.assertEqual((loss.spool_dropped, loss.seq_gaps, loss.seqs_missing), (2, 2, 3))
        channel = self.collector.channel("viewer")
        call = channel.unary_stream(HISTORY, request_serializer=None, response_deserializer=None)
        points = [fleet_pb2.HistoryPoint.FromString(r) for r in call(
            fleet_pb2.NodeHistoryRequest(node_id="lossy").SerializeToString(), timeout=10)]
        channel.close()
        self.assertEqual([(p.seq, p.seqs_missing_before, p.spool_dropped) for p in points],
                         [(1, 0, 0), (2, 0, 0), (5, 2, 2), (6, 0, 0), (7, 0, 0), (9, 1, 0)])
        metrics = self.collector.http_get("/metrics")[1]
        self.assertIn('guts_node_seqs_missing_total{node="lossy"} 3', metrics)
        self.assertIn('guts_node_spool_dropped_total{node="lossy"} 2', metrics)
        self.assertServing()

    def test_admin_compact_from_loopback(self):
        req = urllib.request.Request("http://%s/admin/compact" % self.collector.http, data=b"",
                                     method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            self.assertEqual(r.status, 200)
        self.assertServing()

    def test_history_streams_in_pages_and_a_cancel_frees_it(self):
        channel = self.collector.channel("viewer")
        call = channel.unary_stream(HISTORY, request_serializer=None, response_deserializer=None)
        it = call(fleet_pb2.NodeHistoryRequest(node_id="honest", full=True).SerializeToString(),
                  timeout=30)
        next(it)
        it.cancel()
        channel.close()
        self.assertServing()


class DescriptorExhaustion(unittest.TestCase):
    def test_collector_accepts_again_after_a_connection_flood(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        c = Collector("flood", nofile=256)
        honest = HonestAgent(c)
        try:
            time.sleep(1)
            socks = []
            for _ in range(1200):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", c.port), timeout=2))
                except OSError:
                    break
            time.sleep(4)
            for s in socks:
                s.close()
            deadline = time.time() + 30
            while time.time() < deadline:
                if c.http_get("/readyz")[0] == 200:
                    try:
                        HostileClients.assertServing(self, c)
                        break
                    except (grpc.RpcError, AssertionError):
                        pass
                time.sleep(0.5)
            HostileClients.assertServing(self, c)
            last = honest.finish()
            self.assertEqual(honest.seqs_stored(last), list(range(1, last + 1)))
        finally:
            honest.stopping.set()
            c.stop()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def fleet_status(channel):
    call = channel.unary_unary(STATUS, request_serializer=None, response_deserializer=None)
    return call(fleet_pb2.FleetStatusRequest().SerializeToString(), timeout=10)


def open_histories(channel, node, count):
    """Starts `count` full histories of `node` on `channel`, reading one point of each and
    holding the rest unread. Returns (held streams, [(code, details) of refusals])."""
    call = channel.unary_stream(HISTORY, request_serializer=None, response_deserializer=None)
    held, refused = [], []
    for _ in range(count):
        it = call(fleet_pb2.NodeHistoryRequest(node_id=node, full=True, limit=100000)
                  .SerializeToString(), timeout=120)
        try:
            next(it)
            held.append(it)
        except grpc.RpcError as e:
            refused.append((e.code(), e.details()))
    return held, refused


class QueryCapsAndAdmin(unittest.TestCase):
    """A collector with small query caps and bearer tokens: a caller flooding full histories
    gets its share and RESOURCE_EXHAUSTED beyond it, the total cap holds across callers, memory
    stays bounded, cancelled queries free their places, and /admin needs an operator's token.
    An honest agent streams throughout and loses nothing."""

    @classmethod
    def setUpClass(cls):
        cls.collector = Collector("caps", rate=("0", "0"), extra=[
            "--tokens-file", TOKENS_FILE, "--max-queries", "8", "--max-queries-per-caller", "4",
            "--archive-checks", "1", "--max-waiting-archive-checks", "1"])
        cls.honest = HonestAgent(cls.collector)
        # A node with a long, heavy history (about 12 KB a snapshot): a full history read
        # cannot finish into the client's flow-control windows, so unread queries stay open.
        s = Stream(cls.collector, "agent-bulky")
        s.send(hello("bulky", 1))
        for seq in range(1, 1001):
            m = snapshot("bulky", seq)
            for i in range(4):
                e = m.snapshot.source_errors.add()
                e.source = "source-%d" % i
                e.message = os.urandom(1500).hex()
            s.send(m)
        cls.collector.wait_for_seq("bulky", 1000)
        s.close()

    @classmethod
    def tearDownClass(cls):
        last = cls.honest.finish()
        stored = cls.honest.seqs_stored(last)
        cls.collector.stop()
        assert stored == list(range(1, last + 1)), \
            "honest agent lost snapshots: %d stored of %d" % (len(stored), last)

    def test_queries_beyond_the_caps_are_refused_and_memory_stays_bounded(self):
        c = self.collector
        rss_before = c.rss_bytes()
        viewer = c.channel("viewer", slow_reader=True)
        operator = c.channel("operator", slow_reader=True)
        token_viewer = c.token_channel("viewer")
        held = []
        try:
            mine, refused = open_histories(viewer, "bulky", 16)
            held += mine
            self.assertEqual(len(mine), 4, refused)
            self.assertEqual(len(refused), 12)
            for code, details in refused:
                self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED, details)
                self.assertIn("--max-queries-per-caller 4", details)
            # Another caller still gets in, up to the total.
            self.assertServing()
            mine, refused = open_histories(operator, "bulky", 4)
            held += mine
            self.assertEqual((len(mine), refused), (4, []))
            with self.assertRaises(grpc.RpcError) as e:
                fleet_status(token_viewer)
            self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertIn("--max-queries 8", e.exception.details())
            self.assertEqual(c.http_get("/healthz")[0], 200)
            self.assertEqual(c.http_get("/readyz")[0], 200)
            grown = c.rss_bytes() - rss_before
            # Eight open full histories of 12 MB each: each holds one page (1 MiB) and what
            # gRPC buffers, never the whole history.
            sys.stderr.write("RSS grew by %.1f MiB with 8 full histories open\n" % (grown / 2 ** 20))
            self.assertLess(grown, 160 * 2 ** 20)
        finally:
            for it in held:
                it.cancel()
        # Cancelled queries free their places.
        deadline = time.time() + 15
        while True:
            try:
                fleet_status(token_viewer)
                break
            except grpc.RpcError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        mine, refused = open_histories(viewer, "bulky", 1)
        self.assertEqual((len(mine), refused), (1, []))
        for it in mine:
            it.cancel()
        for ch in (viewer, operator, token_viewer):
            ch.close()
        self.assertServing()

    def test_uploads_beyond_the_archive_checks_are_refused_and_retried(self):
        c = self.collector
        # v2's "agent": a Connect stream that receives the bundle commands.
        agent = Stream(c, "agent-v2")
        agent.send(hello("v2", 1))
        commands = queue.Queue()

        def read_commands():
            try:
                for raw in agent.responses:
                    m = agent_pb2.CollectorMessage.FromString(raw)
                    if m.HasField("command"):
                        commands.put(m.command.id)
            except grpc.RpcError:
                pass

        threading.Thread(target=read_commands, daemon=True).start()
        operator = c.channel("operator")
        collect = operator.unary_stream(COLLECT, request_serializer=None,
                                        response_deserializer=None)
        waits = [collect(fleet_pb2.CollectBundleRequest(node_ids=["v2"], timeout_ms=120000)
                         .SerializeToString(), timeout=180) for _ in range(4)]
        ids = [commands.get(timeout=30) for _ in range(4)]
        # One archive of 16 MiB that does not compress: each check reads, hashes and expands it.
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
            info = tarfile.TarInfo("manifest.json")
            payload = os.urandom(16 << 20)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        archive = raw.getvalue()
        digest = hashlib.sha256(archive).hexdigest()
        # (offset, bytes): 1 MiB chunks, then the archive's last byte alone, so that the four
        # last chunks leave at once even on a busy machine (four 1 MiB sends from Python
        # threads went out one after another, each check done before the next arrived).
        chunks = [(i, archive[i:min(i + (1 << 20), len(archive) - 1)])
                  for i in range(0, len(archive) - 1, 1 << 20)]
        chunks.append((len(archive) - 1, archive[-1:]))
        barrier = threading.Barrier(len(ids))
        results = {}

        def upload(bundle_id, from_chunk=0, wait=None):
            channel = c.channel("agent-v2")
            call = channel.stream_unary(UPLOAD, request_serializer=None,
                                        response_deserializer=None)

            def requests():
                for i in range(from_chunk, len(chunks)):
                    last = i == len(chunks) - 1
                    if last and wait is not None:
                        wait.wait(timeout=60)  # every last chunk at once
                    offset, data = chunks[i]
                    yield bundle_pb2.BundleChunk(
                        bundle_id=bundle_id, node_id="v2", offset=offset, data=data,
                        last=last, total_size=len(archive) if last else 0,
                        sha256=digest if last else "").SerializeToString()
            try:
                call(requests(), timeout=120)
                results[bundle_id] = (grpc.StatusCode.OK, "")
            except grpc.RpcError as e:
                results[bundle_id] = (e.code(), e.details())
            finally:
                channel.close()

        threads = [threading.Thread(target=upload, args=(b, 0, barrier)) for b in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=150)
        refused = [b for b, (code, _) in results.items() if code != grpc.StatusCode.OK]
        for b in refused:
            code, details = results[b]
            self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED, details)
            self.assertIn("retry the upload later", details)
        sys.stderr.write("%d of %d uploads refused by the archive checks' line\n" %
                         (len(refused), len(ids)))
        # One check at a time and one waiting: four last chunks at once cannot all get in.
        self.assertGreaterEqual(len(refused), 1)
        self.assertServing()
        # The refused ones resend their last chunk, as the agent does, and complete.
        for b in refused:
            upload(b, from_chunk=len(chunks) - 1)
            self.assertEqual(results[b][0], grpc.StatusCode.OK, results[b])
        listing = operator.unary_unary(LIST_BUNDLES, request_serializer=None,
                                       response_deserializer=None)
        bundles = fleet_pb2.BundleList.FromString(listing(
            fleet_pb2.ListBundlesRequest(node_id="v2").SerializeToString(), timeout=10))
        complete = {b.id for b in bundles.bundles if b.state == bundle_pb2.BUNDLE_COMPLETE}
        self.assertEqual(complete & set(ids), set(ids))
        for w in waits:
            w.cancel()
        operator.close()
        agent.close()
        self.assertServing()

    def test_admin_needs_the_operator_role(self):
        c = self.collector
        for token in (None, TOKENS["viewer"], "not-a-token"):
            status, body = c.http_post("/admin/compact", token)
            self.assertEqual(status, 403, body)
            self.assertIn("needs the operator role", body)
        status, body = c.http_post("/admin/compact", TOKENS["operator"])
        self.assertEqual(status, 200, body)
        self.assertIn("snapshots_sst_bytes", body)
        self.assertServing()

    def assertServing(self):
        HostileClients.assertServing(self, self.collector)


class LossAcrossRestart(unittest.TestCase):
    """What a node lost (spool drops, seq gaps) is still shown after the collector restarts:
    GetNode, gutsctl node show/history and /metrics; later gaps count on from the totals."""

    def test_loss_totals_survive_a_collector_restart(self):
        data = os.path.join(WORK, "restart", "data")
        c = Collector("restart", data_dir=data)
        try:
            s = Stream(c, "agent-lossy")
            s.send(hello("lossy", 1))
            for seq in (1, 2):
                s.send(snapshot("lossy", seq))
            s.send(snapshot("lossy", 5, spool_dropped=2))
            for seq in (6, 7, 9):
                s.send(snapshot("lossy", seq))
            c.wait_for_seq("lossy", 9)
            s.close()
        finally:
            c.stop()
        c = Collector("restart", data_dir=data)
        try:
            loss = c.node("lossy").loss
            self.assertEqual((loss.spool_dropped, loss.seq_gaps, loss.seqs_missing), (2, 2, 3))
            metrics = c.http_get("/metrics")[1]
            self.assertIn('guts_node_spool_dropped_total{node="lossy"} 2', metrics)
            self.assertIn('guts_node_seq_gaps_total{node="lossy"} 2', metrics)
            self.assertIn('guts_node_seqs_missing_total{node="lossy"} 3', metrics)
            if GUTSCTL:
                ctl = [GUTSCTL, "--collector", c.grpc, "--no-color",
                       "--tls-cert", os.path.join(CERTS, "viewer.crt"),
                       "--tls-key", os.path.join(CERTS, "viewer.key"),
                       "--tls-ca", os.path.join(CERTS, "ca.crt"), "node"]
                show = subprocess.run(ctl + ["show", "lossy"], capture_output=True, text=True,
                                      timeout=30)
                self.assertIn("2 snapshot(s) dropped by the agent's full spool, 3 seq(s) "
                              "missing in 2 gap(s)", show.stdout, show.stderr)
                history = subprocess.run(ctl + ["history", "lossy", "--since", "1h"],
                                         capture_output=True, text=True, timeout=30)
                self.assertIn("lost history in this range: 2", history.stdout, history.stderr)
            # A gap after the restart counts on from the stored totals.
            s = Stream(c, "agent-lossy")
            s.send(hello("lossy", 10, 9))
            s.send(snapshot("lossy", 12))
            c.wait_for_seq("lossy", 12)
            s.close()
            loss = c.node("lossy").loss
            self.assertEqual((loss.spool_dropped, loss.seq_gaps, loss.seqs_missing), (2, 3, 5))
        finally:
            c.stop()


@unittest.skipUnless(os.geteuid() == 0, "needs root to mount a small tmpfs for the store")
class StoreCannotWrite(unittest.TestCase):
    """The store's disk fills up: /readyz says so at once, /healthz after --unhealthy-grace;
    once space is back both recover by themselves and the honest agent's snapshots, unacked
    meanwhile, are all stored."""

    def test_readyz_and_healthz_follow_a_full_disk_and_recover(self):
        mnt = os.path.join(WORK, "small-disk")
        os.makedirs(mnt, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100m", "tmpfs", mnt], check=True)
        c = None
        filler = os.path.join(mnt, "filler")
        try:
            c = Collector("store-full", data_dir=os.path.join(mnt, "data"),
                          extra=["--unhealthy-grace", "3s"])
            honest = HonestAgent(c)
            time.sleep(1.5)
            HostileClients.assertServing(self, c)
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * (1 << 20))
                        f.flush()
                except OSError:
                    pass
            # RocksDB preallocates its write-ahead log, so appends go on into space it holds;
            # the first file it needs is what fails. Flushing the memtables needs one now.
            status, body = c.http_post("/admin/compact")
            self.assertEqual(status, 500, body)

            def wait_for(path, want, timeout=30):
                deadline = time.time() + timeout
                got = None
                while time.time() < deadline:
                    got = c.http_get(path)
                    if got[0] == want:
                        return got[1]
                    time.sleep(0.2)
                self.fail("%s never answered %d: %s" % (path, want, got))

            self.assertIn("the store cannot write", wait_for("/readyz", 503))
            self.assertIn("the store cannot write", wait_for("/healthz", 503))
            os.remove(filler)
            wait_for("/readyz", 200)
            wait_for("/healthz", 200)
            HostileClients.assertServing(self, c)
            last = honest.finish()
            self.assertEqual(honest.seqs_stored(last), list(range(1, last + 1)))
        finally:
            if os.path.exists(filler):
                os.remove(filler)
            if c is not None:
                c.stop()
            subprocess.run(["umount", "-l", mnt])


if __name__ == "__main__":
    unittest.main(verbosity=2)
