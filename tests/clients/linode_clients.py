"""Linode's own clients against the sandbox: a short script of calls that
must all succeed, with the Python library linode_api4 and with linode-cli.

Run by tests/clients/run.sh, which starts the sandbox and passes its
token and address in LINODE_TOKEN and APP_LINODE_API_URL.
"""

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

from linode_api4 import Instance, LinodeClient, Region, Type

TOKEN = os.environ["LINODE_TOKEN"]
API = os.environ["APP_LINODE_API_URL"]


PASSED = []


def step(what):
    PASSED.append(what)
    print(f"ok: {what}", flush=True)


def with_library():
    client = LinodeClient(TOKEN, base_url=API)

    plans = client.linode.types(Type.vcpus >= 2, Type.memory < 16384)
    assert [p.id for p in plans] and all(p.vcpus >= 2 and p.memory < 16384 for p in plans), plans
    step(f"linode_api4 lists plans with a combined filter: {[p.id for p in plans]}")

    ordered = client.linode.types(Type.label.contains("Linode").order_by(Type.memory, desc=True))
    memory = [p.memory for p in ordered]
    assert memory == sorted(memory, reverse=True), memory
    step("linode_api4 orders a filtered list")

    jakarta = client.load(Region, "id-cgk")
    assert jakarta.country == "id", jakarta.country
    step("linode_api4 views one region")

    created = client.linode.instance_create(
        "g6-standard-1",
        "us-east",
        image="linode/debian12",
        label="from-linode-api4",
        root_pass="c0rrect-Horse-battery-staple",
        authorized_users=["sandbox-user"],
    )
    instance = created[0] if isinstance(created, tuple) else created
    assert instance.status == "provisioning", instance.status
    step(f"linode_api4 creates instance {instance.id}")

    deadline = time.time() + 60
    while instance.status != "running":
        assert time.time() < deadline, f"still {instance.status}"
        time.sleep(1)
        instance = client.load(Instance, instance.id)
    step("linode_api4 polls it to running")

    ips = instance.ips
    assert ips.ipv4.public[0].address == instance.ipv4[0]
    step("linode_api4 reads its addresses")

    instance.delete()
    assert not [i for i in client.linode.instances() if i.id == instance.id]
    step("linode_api4 deletes it")


def cli_env():
    """linode-cli pointed at the sandbox's API."""
    address = urlparse(API)
    return dict(
        os.environ,
        LINODE_CLI_TOKEN=TOKEN,
        LINODE_CLI_API_HOST=address.netloc,
        LINODE_CLI_API_SCHEME=address.scheme,
        LINODE_CLI_API_VERSION=address.path.strip("/"),
        LINODE_CLI_SUPPRESS_VERSION_WARNING="true",
    )


def cli(*args):
    out = subprocess.run(
        ["linode-cli", *args, "--json", "--no-defaults", "--suppress-warnings"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"linode-cli {' '.join(args)}: {out.stdout} {out.stderr}"
    return json.loads(out.stdout)


def with_cli():
    plans = cli("linodes", "types", "--vcpus", "2")
    assert plans and all(p["vcpus"] == 2 for p in plans), plans
    step(f"linode-cli lists plans filtered by vcpus: {[p['id'] for p in plans]}")

    region = cli("regions", "view", "br-gru")
    assert region[0]["country"] == "br", region
    step("linode-cli views one region")

    created = cli(
        "linodes", "create", "--type", "g6-standard-1", "--region", "us-east",
        "--image", "linode/debian12", "--root_pass", "c0rrect-Horse-battery-staple",
        "--label", "from-linode-cli",
    )
    instance = created[0]["id"]
    step(f"linode-cli creates instance {instance}")

    deadline = time.time() + 60
    while cli("linodes", "view", str(instance))[0]["status"] != "running":
        assert time.time() < deadline, "never running"
        time.sleep(1)
    step("linode-cli polls it to running")

    listed = cli("linodes", "list", "--label", "from-linode-cli")
    assert [i["id"] for i in listed] == [instance], listed
    step("linode-cli lists it by label")

    deleted = subprocess.run(
        ["linode-cli", "linodes", "delete", str(instance), "--suppress-warnings"],
        env=cli_env(), capture_output=True, text=True, timeout=60,
    )
    assert deleted.returncode == 0, deleted.stderr
    assert not cli("linodes", "list", "--label", "from-linode-cli")
    step("linode-cli deletes it")


if __name__ == "__main__":
    with_library()
    with_cli()
    print(f"clients: {len(PASSED)} passed, 0 failed")
    sys.exit(0)
