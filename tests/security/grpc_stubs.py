"""Python stubs of the project's .proto files, generated at test time with grpc_tools.protoc
(Debian python3-grpc-tools), so that the independent clients of tests/security share none of
the project's C++ client code."""
import os
import shutil
import subprocess
import sys


def generate(proto_dir, work):
    """Empties `work`, generates every guts/diag/v1 stub into work/stubs and makes them
    importable (`from guts.diag.v1 import fleet_pb2`)."""
    shutil.rmtree(work, ignore_errors=True)
    stubs = os.path.join(work, "stubs")
    os.makedirs(stubs)
    protos = os.path.join(proto_dir, "guts/diag/v1")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir,
                    "--python_out=" + stubs, "--grpc_python_out=" + stubs] +
                   [os.path.join(protos, f) for f in sorted(os.listdir(protos))
                    if f.endswith(".proto")], check=True)
    sys.path.insert(0, stubs)
