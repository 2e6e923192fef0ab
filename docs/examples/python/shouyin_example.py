"""Shouyin from Python: create a checkout session over plain HTTP, and verify Shouyin's webhooks.

Creating a session uses only the standard library (urllib). Verifying a webhook uses the Standard
Webhooks library (``pip install standardwebhooks``) when it is installed, and otherwise the
standard-library verifier below, which implements the same rule (docs/webhooks.md):

    webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>

where ``key`` is the base64 after ``whsec_`` in the endpoint's secret. The header can carry several
space-separated signatures while a secret is being rotated; one match is enough.

Run it against ``npm start``:

    SHOUYIN_BASE_URL=http://127.0.0.1:8787 \
    SHOUYIN_SECRET_KEY=$(sed -n 's/^DEMO_SECRET_KEY=//p' .dev.vars) \
    python3 docs/examples/python/shouyin_example.py

In a web framework, pass the raw body bytes and the headers to ``verify_webhook``:

    # Flask
    @app.post("/shouyin/webhooks")
    def shouyin_webhook():
        try:
            event = verify_webhook(WEBHOOK_SECRET, dict(request.headers), request.get_data())
        except WebhookVerificationError:
            return "", 400
        handle_event(event)
        return "", 204

    # Django: verify_webhook(WEBHOOK_SECRET, dict(request.headers), request.body)
"""

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid

TOLERANCE_SECONDS = 5 * 60


class ShouyinAPIError(Exception):
    """A non-2xx answer: ``error`` is Shouyin's ``{type, code, message, param?}``."""

    def __init__(self, status, error):
        super().__init__(f"{status} {error.get('code')}: {error.get('message')}")
        self.status = status
        self.error = error


class WebhookVerificationError(Exception):
    """The webhook did not check out: answer 400 and do not act on it."""


def create_session(base_url, secret_key, amount, description, merchant_order_id, idempotency_key=None, **extra):
    """POST /v1/checkout/sessions. ``amount`` is integer fen (8888 is 88.88 yuan).

    Keep ``idempotency_key`` per order (e.g. ``"order-1001"``): a retry with the same key and body
    returns the same session instead of creating a second one.
    """
    body = json.dumps(
        {"amount": amount, "currency": "CNY", "description": description, "merchant_order_id": merchant_order_id, **extra},
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(
        base_url.rstrip("/") + "/v1/checkout/sessions",
        data=body,
        method="POST",
        headers={
            "Authorization": "Bearer " + secret_key,
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        payload = e.read().decode("utf-8", "replace")
        try:
            error = json.loads(payload)["error"]
        except (ValueError, KeyError, TypeError):
            error = {"type": "api_error", "code": "unexpected_response", "message": payload[:200]}
        raise ShouyinAPIError(e.code, error) from None


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_webhook_stdlib(secret, headers, body, tolerance_seconds=TOLERANCE_SECONDS):
    """Standard Webhooks verification with hmac/hashlib/base64 only. Returns the parsed event.

    ``headers``: any mapping (any case). ``body``: the raw request body as bytes (or str), byte for
    byte as received: re-serialised JSON does not match.
    """
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not timestamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not Unix seconds")
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    if isinstance(body, str):
        body = body.encode("utf-8")

    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode("utf-8") + body, hashlib.sha256).digest()
    matched = False
    for candidate in signatures.split(" "):
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            received = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        # compare_digest takes time independent of where the bytes differ.
        matched = hmac.compare_digest(received, expected) or matched
    if not matched:
        raise WebhookVerificationError("no matching signature")
    return json.loads(body.decode("utf-8"))


def verify_webhook(secret, headers, body):
    """Verifies with the Standard Webhooks library when installed, else with the stdlib verifier."""
    try:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError as LibraryError
    except ImportError:
        return verify_webhook_stdlib(secret, headers, body)
    try:
        # The library looks the three headers up in lower case.
        return Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    except LibraryError as e:
        raise WebhookVerificationError(str(e)) from None


def handle_event(event, seen_ids):
    """Fulfil once per event: the same webhook-id (= event id) arrives again on every retry."""
    if event["id"] in seen_ids:
        return "duplicate"
    seen_ids.add(event["id"])
    if event["type"] == "checkout.session.paid":
        session = event["data"]["object"]
        return f"fulfil order {session['merchant_order_id']}: {session['amount']} fen paid"
    if event["type"] in ("refund.succeeded", "refund.failed"):
        return f"refund {event['data']['object']['id']}: {event['data']['object']['status']}"
    return "ignored " + event["type"]


if __name__ == "__main__":
    session = create_session(
        os.environ.get("SHOUYIN_BASE_URL", "http://127.0.0.1:8787"),
        os.environ["SHOUYIN_SECRET_KEY"],
        amount=8888,
        description="机械键盘 Mechanical keyboard",
        merchant_order_id="py-" + uuid.uuid4().hex[:12],
    )
    print(session["id"], session["status"], "client_secret for the page:", session["client_secret"])
