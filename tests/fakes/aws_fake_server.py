#!/usr/bin/env python3
"""Fake AWS credential endpoints for streamgate's credential tests.

Standard library only. Binds 127.0.0.1 on a free port and prints the port on
stdout (one line). Exits when stdin closes (the test process went away) or on
SIGTERM.

Serves:
  POST /            STS Query API: AssumeRole (must be SigV4-signed, i.e.
                    carry an AWS4-HMAC-SHA256 Authorization header) and
                    AssumeRoleWithWebIdentity (must be unsigned; the token must
                    match config web_identity_token when that is set).
  PUT  /latest/api/token                          IMDSv2 token (TTL header required)
  GET  /latest/meta-data/iam/security-credentials/[role]  (token header required)
  GET  /container/...  container credentials (Authorization must equal
                    config container_token)
Control:
  GET  /_requests   JSON list of the requests received (method, path,
                    headers, form for STS posts)
  POST /_config     JSON object merged into the configuration:
                      expiration          ISO 8601 Expiration of every answer
                      sts_error           null or {status, code, message}; the
                                          message may contain {security_token},
                                          replaced by the request's
                                          X-Amz-Security-Token (to test that
                                          clients scrub echoed secrets)
                      web_identity_token  expected token, or null for any
                      container_token     expected Authorization value
                      imds_role           role name, "" for none
                      secret_keys         {access key id: secret}; when the
                                          signing key id is listed, AssumeRole
                                          verifies the SigV4 signature (service
                                          sts) and answers SignatureDoesNotMatch
                                          when it is wrong
  POST /_reset      forget requests and counters, restore the default config
Credentials returned are numbered per kind: ASIAROLE0001, ASIAWEB0001,
ASIAIMDS0001, ASIACONT0001 (secret "<kind>Secret000N", token
"<kind>Token000N").
"""

import hashlib
import hmac
import http.server
import json
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape

DEFAULT_CONFIG = {
    "expiration": "2030-01-01T01:00:00Z",
    "sts_error": None,
    "web_identity_token": None,
    "container_token": "container-auth-token",
    "imds_role": "streamgate-instance-role",
    "secret_keys": {},
}
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

lock = threading.Lock()
state = {}


def reset():
    with lock:
        state["config"] = dict(DEFAULT_CONFIG)
        state["requests"] = []
        state["counters"] = {}
        state["imds_tokens"] = set()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify_sigv4(method, path, headers, body, authorization, secret_keys):
    """Independent SigV4 check of a POST to '/' (no query): returns None when
    the signature is right or the key unknown, else a reason."""
    try:
        algorithm, rest = authorization.split(" ", 1)
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        key_id, date, region, service, terminator = parts["Credential"].split("/")
    except (ValueError, KeyError):
        return "malformed Authorization header"
    if key_id not in secret_keys:
        return None
    if algorithm != "AWS4-HMAC-SHA256" or terminator != "aws4_request" or service != "sts":
        return "bad algorithm or scope"
    signed = parts["SignedHeaders"].split(";")
    if "host" not in signed:
        return "host not signed"
    lower = {k.lower(): v for k, v in headers.items()}
    canonical_headers = "".join(
        "%s:%s\n" % (h, " ".join(lower.get(h, "").split())) for h in signed)
    amz_date = lower.get("x-amz-date", "")
    canonical = "\n".join([method, path, "", canonical_headers, parts["SignedHeaders"],
                           hashlib.sha256(body.encode()).hexdigest()])
    scope = "/".join([date, region, service, terminator])
    to_sign = "\n".join([algorithm, amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret_keys[key_id]).encode(), date)
    for part in (region, service, terminator):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("Signature", "")):
        return "signature mismatch"
    return None


def next_credentials(kind, prefix):
    with lock:
        n = state["counters"].get(kind, 0) + 1
        state["counters"][kind] = n
        expiration = state["config"]["expiration"]
    return {
        "AccessKeyId": "ASIA%s%04d" % (prefix, n),
        "SecretAccessKey": "%sSecret%04d" % (kind, n),
        "Token": "%sToken%04d" % (kind, n),
        "Expiration": expiration,
    }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def record(self, body, form=None):
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        if form is not None:
            entry["form"] = form
        with lock:
            state["requests"].append(entry)

    def config(self, key):
        with lock:
            return state["config"][key]

    # --- dispatch -------------------------------------------------------
    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                body = json.dumps(state["requests"])
            return self.reply(200, body, "application/json")
        self.record("")
        if self.path.startswith("/latest/meta-data/iam/security-credentials/"):
            return self.imds_credentials()
        if self.path.startswith("/container/"):
            return self.container()
        return self.reply(404, "not found")

    def do_PUT(self):
        body = self.read_body()
        self.record(body)
        if self.path == "/latest/api/token":
            return self.imds_token()
        return self.reply(404, "not found")

    def do_POST(self):
        body = self.read_body()
        self.raw_body = body
        if self.path == "/_reset":
            reset()
            return self.reply(200, "ok")
        if self.path == "/_config":
            with lock:
                state["config"].update(json.loads(body or "{}"))
            return self.reply(200, "ok")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        self.record(body, form)
        return self.sts(form)

    # --- STS ------------------------------------------------------------
    def sts_error(self, status, code, message):
        xml = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code>'
               '<Message>%s</Message></Error><RequestId>fake-request-id</RequestId>'
               '</ErrorResponse>' % (STS_NS, escape(code), escape(message)))
        return self.reply(status, xml, "text/xml")

    def sts(self, form):
        action = form.get("Action")
        authorization = self.headers.get("Authorization", "")
        if form.get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "bad or missing Version")
        if action == "AssumeRole":
            if not authorization.startswith("AWS4-HMAC-SHA256 Credential="):
                return self.sts_error(403, "MissingAuthenticationToken", "request is not signed")
            reason = verify_sigv4(self.command, self.path, self.headers, self.raw_body,
                                  authorization, self.config("secret_keys"))
            if reason:
                return self.sts_error(403, "SignatureDoesNotMatch", reason)
            kind, prefix, result = "role", "ROLE", "AssumeRole"
        elif action == "AssumeRoleWithWebIdentity":
            if authorization:
                return self.sts_error(400, "InvalidRequest", "must not be signed")
            expected = self.config("web_identity_token")
            if expected is not None and form.get("WebIdentityToken") != expected:
                return self.sts_error(400, "InvalidIdentityToken", "token rejected")
            kind, prefix, result = "web", "WEB", "AssumeRoleWithWebIdentity"
        else:
            return self.sts_error(400, "InvalidAction", "unknown action")
        for required in ("RoleArn", "RoleSessionName"):
            if not form.get(required):
                return self.sts_error(400, "ValidationError", "missing " + required)
        error = self.config("sts_error")
        if error:
            message = error.get("message", "").replace(
                "{security_token}", self.headers.get("X-Amz-Security-Token", ""))
            return self.sts_error(error.get("status", 403), error.get("code", "AccessDenied"),
                                  message)
        c = next_credentials(kind, prefix)
        xml = ('<{r}Response xmlns="{ns}"><{r}Result>'
               '<AssumedRoleUser><Arn>{arn}/{session}</Arn><AssumedRoleId>AROAFAKE:{session}'
               '</AssumedRoleId></AssumedRoleUser>'
               '<Credentials><AccessKeyId>{id}</AccessKeyId>'
               '<SecretAccessKey>{secret}</SecretAccessKey>'
               '<SessionToken>{token}</SessionToken>'
               '<Expiration>{exp}</Expiration></Credentials>'
               '</{r}Result><ResponseMetadata><RequestId>fake</RequestId>'
               '</ResponseMetadata></{r}Response>').format(
                   r=result, ns=STS_NS, arn=escape(form["RoleArn"]),
                   session=escape(form["RoleSessionName"]), id=c["AccessKeyId"],
                   secret=c["SecretAccessKey"], token=c["Token"], exp=c["Expiration"])
        return self.reply(200, xml, "text/xml")

    # --- IMDSv2 ---------------------------------------------------------
    def imds_token(self):
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "missing or bad TTL header")
        with lock:
            token = "imds-session-token-%d" % (len(state["imds_tokens"]) + 1)
            state["imds_tokens"].add(token)
        return self.reply(200, token)

    def imds_credentials(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        with lock:
            valid = token in state["imds_tokens"]
        if not valid:
            return self.reply(401, "IMDSv2 token required")
        role = self.config("imds_role")
        rest = self.path[len("/latest/meta-data/iam/security-credentials/"):]
        if not role:
            return self.reply(404, "not found")
        if rest == "":
            return self.reply(200, role)
        if rest != role:
            return self.reply(404, "not found")
        c = next_credentials("imds", "IMDS")
        doc = dict(c, Code="Success", Type="AWS-HMAC", LastUpdated="2030-01-01T00:00:00Z")
        return self.reply(200, json.dumps(doc), "text/plain")

    # --- container ------------------------------------------------------
    def container(self):
        if self.headers.get("Authorization") != self.config("container_token"):
            return self.reply(401, json.dumps({"code": "Unauthorized"}), "application/json")
        c = next_credentials("cont", "CONT")
        return self.reply(200, json.dumps(c), "application/json")


def main():
    reset()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
        server.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
