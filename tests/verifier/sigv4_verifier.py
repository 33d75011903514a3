#!/usr/bin/env python3
"""An independent SigV4 check for real requests: a tiny awsJson endpoint that
verifies every POST with botocore's own signer.

For each POST it rebuilds the request as a ``botocore.awsrequest.AWSRequest``
(method, URL, the headers the client says it signed, the exact body bytes
received), signs it with ``botocore.auth.SigV4Auth`` using the secret it is
configured with for the request's access key, for the configured service and
region, at the request's own ``X-Amz-Date``, and compares botocore's
``Authorization`` with the one received. It also enforces what AWS enforces
before that: a well-formed ``Authorization``, a known access key, the session
token that belongs to it, a credential scope for this date, region and
service, a timestamp within the allowed skew, and ``host``, ``x-amz-date``,
``content-type`` and every ``x-amz-*`` header present being signed.

On a mismatch it answers HTTP 400 with an awsJson error body
(``{"__type": "InvalidSignatureException", "message": ...}``; an unknown key
or a wrong token is ``UnrecognizedClientException``, as with AWS); on a match,
HTTP 200 with a small valid response for the target (fixed fields for
CreateRepository, UploadLayerPart and PutLifecyclePolicy, ``{}`` otherwise).

``GET /__verifier/requests`` returns a JSON list describing every POST seen
(target, access key, signed headers, verdict, body size and SHA-256, the
parsed request with any ``layerPartBlob`` replaced by its decoded size and
SHA-256), so a test can check what was actually sent.

Usage::

    python sigv4_verifier.py [--port 0] [--region us-east-1] [--service ecr] \\
        --credential AKID:SECRET[:SESSION_TOKEN] [--credential ...]

It listens on 127.0.0.1 only and prints the port it listens on, alone on the
first line of stdout.
"""

import argparse
import base64
import datetime
import hashlib
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
ACCOUNT = "123456789012"
REQUESTS_PATH = "/__verifier/requests"

# add_auth() reads the clock through botocore.auth.get_current_datetime; it is
# pointed at the request's X-Amz-Date while one request is being signed.
_SIGN_LOCK = threading.Lock()


class AuthError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_authorization(value):
    """``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise AuthError(
            "IncompleteSignatureException",
            f"Unsupported authorization algorithm {algorithm!r}",
        )
    parts = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise AuthError(
                "IncompleteSignatureException",
                f"Authorization header requires 'Credential', 'SignedHeaders' and "
                f"'Signature'; could not parse {item.strip()!r}",
            )
        parts[key] = val
    for key in ("Credential", "SignedHeaders", "Signature"):
        if key not in parts:
            raise AuthError(
                "IncompleteSignatureException",
                f"Authorization header requires '{key}' parameter",
            )
    return parts


class Verifier:
    def __init__(self, credentials, region, service, max_skew):
        self.credentials = credentials  # access key -> (secret, token or None)
        self.region = region
        self.service = service
        self.max_skew = max_skew

    def verify(self, method, path, headers, body):
        """Returns a dict of details; raises AuthError on a rejected request."""
        authz = headers.get("Authorization")
        if authz is None:
            raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
        parts = parse_authorization(authz)
        details = {"signed_headers": parts["SignedHeaders"]}

        scope = parts["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AuthError(
                "IncompleteSignatureException",
                f"Credential should be AKID/date/region/service/aws4_request, got {parts['Credential']!r}",
            )
        access_key, scope_date, scope_region, scope_service, _ = scope
        details["access_key"] = access_key
        if access_key not in self.credentials:
            raise AuthError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        secret, token = self.credentials[access_key]

        request_token = headers.get("X-Amz-Security-Token")
        if request_token != token:
            raise AuthError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid."
                + (" (missing)" if request_token is None else ""),
            )

        amz_date = headers.get("X-Amz-Date")
        if amz_date is None:
            raise AuthError(
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        try:
            signed_at = datetime.datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(
                tzinfo=datetime.timezone.utc
            )
        except ValueError:
            raise AuthError("IncompleteSignatureException", f"Bad X-Amz-Date {amz_date!r}")
        skew = abs(time.time() - signed_at.timestamp())
        if skew > self.max_skew:
            raise AuthError(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is more than {self.max_skew} s away from the server's time.",
            )
        if scope_date != amz_date[:8]:
            raise AuthError(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid date: {scope_date!r} is not {amz_date[:8]!r}.",
            )
        if scope_region != self.region:
            raise AuthError(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not {scope_region!r}.",
            )
        if scope_service != self.service:
            raise AuthError(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: {self.service!r}.",
            )

        signed = parts["SignedHeaders"].split(";")
        if signed != sorted(signed) or any(h != h.lower() for h in signed):
            raise AuthError(
                "InvalidSignatureException",
                f"SignedHeaders must be lowercase and sorted: {parts['SignedHeaders']!r}",
            )
        present = {name.lower() for name in headers.keys()}
        must_sign = {"host", "x-amz-date"}
        must_sign |= {h for h in present if h.startswith("x-amz-") or h == "content-type"}
        unsigned = sorted(must_sign - set(signed))
        if unsigned:
            raise AuthError(
                "InvalidSignatureException",
                f"Headers that must be signed are not: {';'.join(unsigned)}",
            )
        missing = [h for h in signed if h not in present]
        if missing:
            raise AuthError(
                "InvalidSignatureException",
                f"Signed headers are not in the request: {';'.join(missing)}",
            )

        # The request as botocore would have built it: the signed headers
        # (every value of each, in order), the body as received.
        host = headers["Host"]
        request = AWSRequest(method=method, url=f"http://{host}{path}", data=body)
        for name in signed:
            for value in headers.get_all(name):
                request.headers[name] = value
        auth = SigV4Auth(Credentials(access_key, secret, token), self.service, self.region)
        with _SIGN_LOCK:
            original = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda *a, **k: signed_at.replace(tzinfo=None)
            try:
                auth.add_auth(request)
            finally:
                botocore.auth.get_current_datetime = original
        expected = parse_authorization(request.headers["Authorization"])
        if expected["Credential"] != parts["Credential"] or expected["SignedHeaders"] != parts["SignedHeaders"]:
            raise AuthError(
                "InvalidSignatureException",
                f"botocore computes Credential={expected['Credential']}, "
                f"SignedHeaders={expected['SignedHeaders']}; the request has "
                f"Credential={parts['Credential']}, SignedHeaders={parts['SignedHeaders']}.",
            )
        if expected["Signature"] != parts["Signature"]:
            del request.headers["Authorization"]
            creq = auth.canonical_request(request)
            sts = auth.string_to_sign(request, creq)
            raise AuthError(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.\n\nThe Canonical String for this request should have been\n'"
                + creq
                + "'\n\nThe String-to-Sign should have been\n'"
                + sts
                + "'\n",
            )
        return details


def summarize_body(body):
    """The parsed request, with blobs replaced by their size and SHA-256."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("layerPartBlob"), str):
        blob = base64.b64decode(parsed["layerPartBlob"], validate=True)
        parsed["layerPartBlob"] = {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    return parsed


def response_for(target, request, region):
    """A small valid awsJson response for the target."""
    operation = target.rpartition(".")[2]
    request = request if isinstance(request, dict) else {}
    name = request.get("repositoryName", "repository")
    registry = request.get("registryId", ACCOUNT)
    if operation == "CreateRepository":
        return {
            "repository": {
                "repositoryArn": f"arn:aws:ecr:{region}:{registry}:repository/{name}",
                "registryId": registry,
                "repositoryName": name,
                "repositoryUri": f"{registry}.dkr.ecr.{region}.amazonaws.com/{name}",
                "createdAt": int(time.time()),
                "imageTagMutability": request.get("imageTagMutability", "MUTABLE"),
            }
        }
    if operation == "UploadLayerPart":
        return {
            "registryId": registry,
            "repositoryName": name,
            "uploadId": request.get("uploadId"),
            "lastByteReceived": request.get("partLastByte"),
        }
    if operation == "PutLifecyclePolicy":
        return {
            "registryId": registry,
            "repositoryName": name,
            "lifecyclePolicyText": request.get("lifecyclePolicyText"),
        }
    return {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sigv4-verifier"

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("sigv4-verifier: " + (format % args) + "\n")

    def _send(self, status, payload, error_code=None):
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code:
            self.send_header("x-amzn-ErrorType", error_code)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length)

    def do_GET(self):
        if self.path == REQUESTS_PATH:
            with self.server.log_lock:
                entries = list(self.server.log)
            self._send(200, entries)
        else:
            self._send(404, {"__type": "UnknownOperationException", "message": "not found"})

    def do_POST(self):
        body = self._read_body()
        target = self.headers.get("X-Amz-Target", "")
        entry = {
            "target": target,
            "body_bytes": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_non_ascii": any(b >= 0x80 for b in body),
            "request": summarize_body(body),
        }
        try:
            entry.update(self.server.verifier.verify("POST", self.path, self.headers, body))
        except AuthError as e:
            entry.update(verdict="rejected", code=e.code, message=e.message)
            self._log(entry)
            self._send(400, {"__type": e.code, "message": e.message}, error_code=e.code)
            return
        entry["verdict"] = "accepted"
        self._log(entry)
        self._send(200, response_for(target, entry["request"], self.server.verifier.region))

    def _log(self, entry):
        with self.server.log_lock:
            self.server.log.append(entry)
        if self.server.verbose:
            sys.stderr.write(
                f"sigv4-verifier: {entry['target']} {entry['verdict']}"
                f" {entry.get('code', '')} {entry.get('signed_headers', '')}\n"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--service", default="ecr", help="signing name")
    parser.add_argument(
        "--credential",
        action="append",
        required=True,
        metavar="AKID:SECRET[:TOKEN]",
        help="an accepted identity; repeatable",
    )
    parser.add_argument("--max-skew", type=int, default=300, help="allowed clock skew, seconds")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args()

    credentials = {}
    for spec in args.credential:
        fields = spec.split(":", 2)
        if len(fields) < 2:
            parser.error(f"--credential {spec!r}: expected AKID:SECRET[:TOKEN]")
        credentials[fields[0]] = (fields[1], fields[2] if len(fields) == 3 else None)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.verifier = Verifier(credentials, args.region, args.service, args.max_skew)
    server.verbose = args.verbose
    server.log = []
    server.log_lock = threading.Lock()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
