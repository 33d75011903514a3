"""Where botocore sends an ECR request, for tests/endpoints.rs.

Reads JSON cases from standard input, one per line:
    {"region": "us-east-1", "fips": false, "dualstack": false, "endpoint_url": null}
and prints one JSON line per case, with two answers:
    {"client": {"url": "https://api.ecr.us-east-1.amazonaws.com/"},
     "rules": {"url": "https://api.ecr.us-east-1.amazonaws.com"}}
(or {"error": "InvalidRegionError", "message": "..."} in place of a url).

"client": the case goes through a real botocore client (region validation,
the FIPS/dual-stack settings, a custom endpoint, the legacy endpoints.json
check that botocore still makes when a client is created, then the endpoint
rule set and partitions); the request is caught before it is sent.

"rules": the ECR endpoint rule set and partitions of the pinned source
distribution evaluated alone by botocore's EndpointProvider, with the
parameters a client passes (botocore drops FIPS and dual-stack when a custom
endpoint is given). The client uses the
installed botocore's data, which must equal the ECR endpoint rule set and
partitions of the pinned source distribution (argv[1], its botocore/data
directory); the script stops if they differ. (Putting that directory on the
loader's search path instead would make botocore treat the model as a
custom one and resolve its endpoint the legacy way.)
"""

import json
import os
import sys

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.endpoint_provider import EndpointProvider


class Caught(Exception):
    pass


def main():
    data_dir = sys.argv[1]
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    pinned = {
        "partitions": os.path.join(data_dir, "partitions.json"),
        "ecr/2015-09-21/endpoint-rule-set-1": os.path.join(
            data_dir, "ecr", "2015-09-21", "endpoint-rule-set-1.json"
        ),
    }
    for name, path in pinned.items():
        with open(path) as f:
            if json.load(f) != loader.load_data(name):
                sys.exit(f"the installed botocore's {name} differs from {path}")
    with open(pinned["partitions"]) as f:
        partitions = json.load(f)
    with open(pinned["ecr/2015-09-21/endpoint-rule-set-1"]) as f:
        rules = EndpointProvider(json.load(f), partitions)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        print(json.dumps({"client": client_url(session, case), "rules": rules_url(rules, case)}), flush=True)


def rules_url(rules, case):
    params = {"Region": case["region"], "UseFIPS": case["fips"], "UseDualStack": case["dualstack"]}
    if case.get("endpoint_url"):
        params.update(Endpoint=case["endpoint_url"], UseFIPS=False, UseDualStack=False)
    try:
        return {"url": rules.resolve_endpoint(**params).url}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e)}


def client_url(session, case):
    try:
        client = session.create_client(
            "ecr",
            region_name=case["region"],
            endpoint_url=case.get("endpoint_url"),
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="not-a-secret",
            config=Config(
                use_fips_endpoint=case["fips"],
                use_dualstack_endpoint=case["dualstack"],
                retries={"max_attempts": 1},
            ),
        )
        seen = {}

        def before_send(request, **kwargs):
            seen["url"] = request.url
            raise Caught()

        client.meta.events.register("before-send.ecr", before_send)
        try:
            client.describe_registry()
        except Caught:
            pass
        return {"url": seen["url"]}
    except Exception as e:  # the kind of error is what the test compares
        return {"error": type(e).__name__, "message": str(e)}

if __name__ == "__main__":
    main()
