#!/usr/bin/python3
"""Certificates rotate under a running guts-collector and guts-agent, without restarting them.

1. Both run on CA1 certificates; the agent streams (no node to watch: its snapshots carry
   source errors, which is enough here).
2. The trust bundle becomes CA1+CA2, then every certificate is re-issued by CA2: after the
   reload interval the collector serves its new certificate to new connections.
3. The trust bundle becomes CA2 only: a CA1 certificate is refused, an expired CA2 one too.
4. The collector restarts on the same port: the agent (never restarted) can only reconnect
   with its new CA2 certificate, and every seq it made is stored, in order.

usage: cert_rotation_test.py COLLECTOR AGENT PROTO_DIR MINT_SCRIPT WORK_DIR
"""

import json
import os
import socket
import ssl
import subprocess
import sys
import time

import grpc_stubs  # beside this file

COLLECTOR, AGENT, PROTO_DIR, MINT, WORK = sys.argv[1:6]
RELOAD = 10  # TlsOptions::reload_interval

grpc_stubs.generate(PROTO_DIR, WORK)
import grpc  # noqa: E402
from guts.diag.v1 import fleet_pb2  # noqa: E402

CA1, CA2, LIVE = (os.path.join(WORK, d) for d in ("ca1", "ca2", "live"))
for d in (CA1, CA2):
    subprocess.run([MINT, d, "rotor"], check=True, stdout=subprocess.DEVNULL)
os.makedirs(LIVE)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(name, data):
    """Atomically, as cert-manager and the CSI driver do."""
    tmp = os.path.join(LIVE, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(LIVE, name))


def install(ca_dir, trust):
    for who in ("collector", "agent-rotor"):
        put(who + ".key", read(os.path.join(ca_dir, who + ".key")))
        put(who + ".crt", read(os.path.join(ca_dir, who + ".crt")))
    put("ca.crt", trust)


def expired_cert(ca_dir):
    with open(os.path.join(ca_dir, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = dev\n[dev]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n"
                "serial = %s/serial\ndefault_md = sha256\npolicy = any\n[any]\n"
                "commonName = supplied\norganizationalUnitName = optional\n"
                "organizationName = optional\n" % (ca_dir, ca_dir, ca_dir))
    open(os.path.join(ca_dir, "index.txt"), "w").close()
    with open(os.path.join(ca_dir, "serial"), "w") as f:
        f.write("2000\n")
    subprocess.run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                   "-subj '/O=guts-diag dev/OU=viewer/CN=old' -keyout expired.key -out "
                   "expired.csr 2>/dev/null && openssl ca -batch -config ca.cnf -cert ca.crt "
                   "-keyfile ca.key -in expired.csr -out expired.crt -notext -startdate "
                   "20200101000000Z -enddate 20200102000000Z 2>/dev/null",
                   shell=True, cwd=ca_dir, check=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


PORT = free_port()
DATA = os.path.join(WORK, "data")


def start_collector(n):
    ready = os.path.join(WORK, "ready-%d.json" % n)
    log = open(os.path.join(WORK, "collector-%d.log" % n), "wb")
    p = subprocess.Popen([COLLECTOR, "--data-dir", DATA, "--grpc-addr", "127.0.0.1:%d" % PORT,
                          "--http-addr", "127.0.0.1:0", "--ready-file", ready,
                          "--tls-cert", os.path.join(LIVE, "collector.crt"),
                          "--tls-key", os.path.join(LIVE, "collector.key"),
                          "--tls-ca", os.path.join(LIVE, "ca.crt")],
                         stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while not os.path.exists(ready):
        assert p.poll() is None and time.time() < deadline, "collector did not start"
        time.sleep(0.05)
    return p


def served_certificate():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    ctx.load_cert_chain(os.path.join(CA2, "operator.crt"), os.path.join(CA2, "operator.key"))
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def pem_to_der(path):
    return ssl.PEM_cert_to_DER_cert(read(path).decode())


def stored_seqs(ca_dir, who="operator"):
    creds = grpc.ssl_channel_credentials(read(os.path.join(LIVE, "ca.crt")),
                                         read(os.path.join(ca_dir, who + ".key")),
                                         read(os.path.join(ca_dir, who + ".crt")))
    with grpc.secure_channel("127.0.0.1:%d" % PORT, creds) as channel:
        call = channel.unary_stream("/guts.diag.v1.FleetService/GetNodeHistory",
                                    request_serializer=None, response_deserializer=None)
        return [fleet_pb2.HistoryPoint.FromString(r).seq for r in call(
            fleet_pb2.NodeHistoryRequest(node_id="rotor", limit=100000).SerializeToString(),
            timeout=10)]


def refused(ca_dir, who):
    try:
        stored_seqs(ca_dir, who)
    except grpc.RpcError as e:
        return e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED)
    return False


def wait_for(check, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except (grpc.RpcError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError("timed out waiting for " + what)


install(CA1, read(os.path.join(CA1, "ca.crt")))
collector = start_collector(1)
agent_log = open(os.path.join(WORK, "agent.log"), "wb")
agent = subprocess.Popen([AGENT, "--collector", "127.0.0.1:%d" % PORT, "--node-id", "rotor",
                          "--node-api", "http://127.0.0.1:1", "--interval", "200ms",
                          "--state-dir", os.path.join(WORK, "agent-state"),
                          "--http-addr", "127.0.0.1:0", "--reconnect-max-delay", "1s",
                          "--tls-cert", os.path.join(LIVE, "agent-rotor.crt"),
                          "--tls-key", os.path.join(LIVE, "agent-rotor.key"),
                          "--tls-ca", os.path.join(LIVE, "ca.crt")],
                         stdout=agent_log, stderr=subprocess.STDOUT)
try:
    wait_for(lambda: len(stored_seqs(CA1)) >= 3, 30, "the agent's first snapshots")
    assert served_certificate() == pem_to_der(os.path.join(CA1, "collector.crt"))

    # Trust both CAs, then re-issue every certificate from CA2.
    put("ca.crt", read(os.path.join(CA1, "ca.crt")) + read(os.path.join(CA2, "ca.crt")))
    time.sleep(RELOAD + 2)
    install(CA2, read(os.path.join(CA1, "ca.crt")) + read(os.path.join(CA2, "ca.crt")))
    wait_for(lambda: served_certificate() == pem_to_der(os.path.join(CA2, "collector.crt")),
             RELOAD + 10, "the collector to serve its renewed certificate")
    before = len(stored_seqs(CA2))

    # CA2 only: CA1 certificates and an expired CA2 one are refused.
    put("ca.crt", read(os.path.join(CA2, "ca.crt")))
    time.sleep(RELOAD + 2)
    assert refused(CA1, "operator"), "a certificate of the retired CA was accepted"
    expired_cert(CA2)
    assert refused(CA2, "expired"), "an expired certificate was accepted"
    assert len(stored_seqs(CA2)) > before, "the stream stopped during the rotation"

    # A new collector process: the agent reconnects, which it can only do with its CA2 cert.
    collector.terminate()
    collector.wait(timeout=20)
    collector = start_collector(2)
    count = len(stored_seqs(CA2))
    wait_for(lambda: len(stored_seqs(CA2)) > count + 5, 30,
             "the agent to reconnect with its renewed certificate")
    agent.terminate()
    agent.wait(timeout=20)
    seqs = stored_seqs(CA2)
    assert seqs == list(range(1, len(seqs) + 1)), "seqs not stored gapless in order: %s" % seqs
    print("certificates rotated under a running fleet; %d snapshots stored in order" % len(seqs))
finally:
    for p in (agent, collector):
        if p.poll() is None:
            p.kill()
            p.wait()
