"""Schemathesis hooks for hookflow's API fuzz run (test/api-fuzz/run.sh).

Some rules the server enforces cannot be a JSON Schema constraint, because they depend on state or
on the clock; the operation descriptions state them. For those parameters only, a case generated as
valid is made to honour the rule before it is sent, so `positive_data_acceptance` keeps checking
every other parameter of the operation instead of failing on a value that no schema could rule out.
Negative cases are never touched: the server must still refuse everything the schema forbids.
"""

import json
import re
import socket
from datetime import datetime, timedelta, timezone

import schemathesis


def _iso(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if not case.meta or not case.meta.generation.mode.is_positive:
        return
    path = case.operation.path
    method = case.operation.method.upper()

    # `cursor` is opaque: only a value a list answer gave as `nextCursor` is valid, and the stateful
    # phase sends those. Any other string is rightly a 400, so a generated one is left out.
    if isinstance(case.query, dict) and "cursor" in case.query:
        del case.query["cursor"]

    # GET /v1/deliveries: `until` must be after `since` (a rule between two parameters).
    if method == "GET" and path == "/v1/deliveries" and isinstance(case.query, dict):
        _order(case.query, "since", "until")

    # GET …/stats: the window must lie within the retention and `since` before `until`, and its bucket
    # must not cut it into more than 1,000 buckets (rules that move with the clock). Two hours back
    # holds every bucket size.
    if method == "GET" and path in ("/v1/subscriptions/{id}/stats", "/v1/tenants/{id}/stats"):
        query = case.query if isinstance(case.query, dict) else {}
        query["since"] = _iso(-timedelta(hours=2))
        if "until" in query:
            query["until"] = _iso(-timedelta(hours=1))
        case.query = query

    # The JSON parser refuses `__proto__` keys (and `constructor.prototype`) anywhere in a body, a
    # guard against prototype poisoning; OpenAPI 3.0 cannot forbid a key name in an open object.
    if isinstance(case.body, (dict, list)):
        case.body = _without_poison(case.body)

    # POST /v1/events(/batch): an event whose type has a schema in the catalog must carry `data`
    # that the schema accepts, which depends on state. Every schema this run stores is
    # {"type": "object"} (see below), so for a catalogued type a generated non-object becomes {}.
    if method == "POST" and path in ("/v1/events", "/v1/events/batch") and isinstance(case.body, dict):
        events = case.body.get("events") if path == "/v1/events/batch" else [case.body]
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and event.get("type") in _TYPES_WITH_SCHEMA and not isinstance(event.get("data"), dict):
                event["data"] = {}

    # GET /v1/events/{id} and POST /v1/events/{id}/replay: event IDs are per tenant, so an admin key
    # must name the tenant (?tenantId=) of an ID that more than one tenant has used, which depends on
    # state. For such an ID, a case without tenantId names one of those tenants.
    if path in ("/v1/events/{id}", "/v1/events/{id}/replay"):
        tenants = _EVENT_TENANTS.get((case.path_parameters or {}).get("id"), set())
        query = case.query if isinstance(case.query, dict) else {}
        if len(tenants) > 1 and "tenantId" not in query:
            query["tenantId"] = sorted(tenants)[0]
            case.query = query

    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    # `since` must lie within the retention window (HOOKFLOW_RETENTION_DAYS back from now) and
    # before `until` (default: now).
    if method == "POST" and path == "/v1/subscriptions/{id}/recover":
        body["since"] = _iso(-timedelta(hours=2))
        if "until" in body:
            body["until"] = _iso(-timedelta(hours=1))
    # A token's `expiresAt` must be in the future.
    if method == "POST" and path == "/v1/tenants/{id}/tokens" and "expiresAt" in body:
        body["expiresAt"] = _iso(timedelta(days=1))
    # Languages inside a field that OpenAPI 3.0 cannot describe, said in the field's description: a
    # payload filter (fields and $-operators over the event's { type, data }) and an event type's JSON
    # Schema (compiled in strict mode: unknown keywords refused). A generated one becomes the
    # simplest valid one.
    if isinstance(body.get("filter"), dict):
        body["filter"] = {"type": {"$exists": True}}
    if path.startswith("/v1/event-types") and isinstance(body.get("schema"), dict):
        body["schema"] = {"type": "object"}
    # Examples must validate against the schema: the one sent, or for a PATCH without one, the one
    # stored (state).
    keeps_stored = method == "PATCH" and "schema" not in body and (case.path_parameters or {}).get("name") in _TYPES_WITH_SCHEMA
    if path.startswith("/v1/event-types") and isinstance(body.get("examples"), list) and (isinstance(body.get("schema"), dict) or keeps_stored):
        body["examples"] = [e for e in body["examples"] if isinstance(e, dict)]
    # Examples are any JSON, stored in PostgreSQL: no NUL anywhere in them (as for metadata).
    if path.startswith("/v1/event-types") and isinstance(body.get("examples"), list):
        body["examples"] = _without_nul(body["examples"])
    # Custom header names: a token grammar, refused names and case-insensitive uniqueness, which
    # OpenAPI 3.0 cannot state for map keys (values are constrained in the schema).
    if isinstance(body.get("headers"), dict) and body["headers"]:
        value = next((v for v in body["headers"].values() if isinstance(v, str)), "v")
        body["headers"] = {"X-Fuzz": value}
    # POST /v1/subscriptions/{id}/test with `eventType`: that type must have an example in the
    # catalog, which depends on state; without it, the test sends the standard ping.
    if method == "POST" and path == "/v1/subscriptions/{id}/test":
        body.pop("eventType", None)
    # url: whether a host's address is allowed depends on HOOKFLOW_ALLOW_PRIVATE_URLS /
    # HOOKFLOW_ALLOWED_CIDRS and on DNS, and a numeric host must be a valid IPv4 address; so a
    # generated host that is an address, resolves here, or only looks numeric becomes a plain name.
    if isinstance(body.get("url"), str):
        body["url"] = _with_name_host(body["url"])
    # retryPolicy: `initialIntervalMs` must not exceed `maxIntervalMs` (a rule between two fields).
    if isinstance(body.get("retryPolicy"), dict):
        policy = body["retryPolicy"]
        initial, maximum = policy.get("initialIntervalMs"), policy.get("maxIntervalMs")
        if isinstance(initial, int) and isinstance(maximum, int) and initial > maximum:
            policy["initialIntervalMs"], policy["maxIntervalMs"] = maximum, initial
        # Given alone, either one is compared with the server's configured default for the other.
        elif isinstance(maximum, int) and initial is None:
            policy["initialIntervalMs"] = maximum
        elif isinstance(initial, int) and maximum is None:
            policy["maxIntervalMs"] = initial
    # metadata is any JSON object; NUL in its keys and nested strings cannot be ruled out by an
    # OpenAPI 3.0 schema (no propertyNames), and PostgreSQL cannot store it.
    # Its keys are at most 100 characters (JavaScript's count, UTF-16 units) and it serialises to at
    # most 4096: also beyond what an OpenAPI 3.0 schema of an open object can say.
    if isinstance(body.get("metadata"), dict):
        metadata = {k: v for k, v in _without_nul(body["metadata"]).items() if _utf16_len(k) <= 100}
        body["metadata"] = metadata if _utf16_len(json.dumps(metadata, ensure_ascii=False)) <= 4096 else {}


# Event types that have a schema in the catalog, as the server last answered about them.
_TYPES_WITH_SCHEMA = set()


# Event IDs and the tenants that have used each, as the server answered accepted events.
_EVENT_TENANTS = {}


@schemathesis.hook
def after_call(ctx, case, response):
    path = case.operation.path
    if not 200 <= response.status_code < 300:
        return
    if case.operation.method.upper() == "POST" and path in ("/v1/events", "/v1/events/batch"):
        for row in _answer_rows(response):
            if isinstance(row.get("id"), str) and isinstance(row.get("tenantId"), str):
                _EVENT_TENANTS.setdefault(row["id"], set()).add(row["tenantId"])
        return
    if not path.startswith("/v1/event-types"):
        return
    if case.operation.method.upper() == "DELETE":
        _TYPES_WITH_SCHEMA.discard((case.path_parameters or {}).get("name"))
        return
    for row in _answer_rows(response):
        if isinstance(row.get("name"), str) and "schema" in row:
            if row["schema"] is None:
                _TYPES_WITH_SCHEMA.discard(row["name"])
            else:
                _TYPES_WITH_SCHEMA.add(row["name"])


def _answer_rows(response):
    """The objects a JSON answer holds: a list answer's `data` items, or the answer itself."""
    try:
        answer = json.loads(response.content or b"null")
    except ValueError:
        return []
    rows = answer.get("data") if isinstance(answer, dict) and isinstance(answer.get("data"), list) else [answer]
    return [row for row in rows if isinstance(row, dict)]


def _order(container, low, high):
    a, b = container.get(low), container.get(high)
    if isinstance(a, str) and isinstance(b, str):
        ta, tb = _parse(a), _parse(b)
        if ta is None or tb is None or ta.tzinfo is None or tb.tzinfo is None:
            return
        if ta >= tb:
            if ta == tb:
                del container[high]
            else:
                container[low], container[high] = b, a


def _parse(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _without_poison(value):
    if isinstance(value, list):
        return [_without_poison(v) for v in value]
    if isinstance(value, dict):
        return {
            k: _without_poison(v)
            for k, v in value.items()
            if k != "__proto__" and not (k == "constructor" and isinstance(v, dict) and "prototype" in v)
        }
    return value


_URL = re.compile(r"^(?P<scheme>[A-Za-z]+://)(?P<host>\[[^\]]*\]|[^:/?#]*)(?P<rest>.*)$", re.S)
_NUMERIC_LABEL = re.compile(r"^(0[xX][0-9A-Fa-f]*|[0-9]+)$")


def _with_name_host(url):
    m = _URL.match(url)
    if not m:
        return url
    host = m.group("host")
    labels = [label for label in host.split(".") if label]
    looks_numeric = bool(labels) and _NUMERIC_LABEL.match(labels[-1]) is not None
    idna = any(label.lower().startswith("xn--") for label in labels)
    if host.startswith("[") or looks_numeric or idna or _resolves(host):
        return m.group("scheme") + "hooks.example.com" + m.group("rest")
    return url


def _resolves(host):
    try:
        socket.getaddrinfo(host, None)
        return True
    except (OSError, UnicodeError, ValueError):
        return False


def _utf16_len(text):
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
