<?php
// Shouyin's webhooks in plain PHP (php-fpm, Apache), verified with the Standard Webhooks library:
//
//   composer require standard-webhooks/standard-webhooks
//
// Point the webhook endpoint's URL at this script. Laravel: the same calls with $request->getContent()
// and array_map(fn ($v) => $v[0], $request->headers->all()).

declare(strict_types=1);

require __DIR__ . '/vendor/autoload.php';

use StandardWebhooks\Exception\WebhookVerificationException;
use StandardWebhooks\Webhook;

// The raw body, byte for byte: json_decode + json_encode would not match the signature.
$payload = file_get_contents('php://input');
// The library looks up 'webhook-id', 'webhook-timestamp' and 'webhook-signature' in lower case.
$headers = array_change_key_case(getallheaders(), CASE_LOWER);

try {
    $wh = new Webhook(getenv('SHOUYIN_WEBHOOK_SECRET')); // "whsec_…"
    // Checks the timestamp (within 5 minutes) and every v1 signature; returns the decoded event.
    $event = $wh->verify($payload, $headers);
} catch (WebhookVerificationException $e) {
    http_response_code(400);
    exit;
}

// The same webhook-id (= event id) arrives again on every retry: handle each id once, e.g. with a
// unique key on the id in your database.
if (already_handled($event['id'])) {
    http_response_code(204);
    exit;
}
if ($event['type'] === 'checkout.session.paid') {
    $session = $event['data']['object'];
    // Fulfil $session['merchant_order_id']: $session['amount'] fen were paid.
}
mark_handled($event['id']);
http_response_code(204);

function already_handled(string $eventId): bool
{
    return false; // look the id up in your database
}

function mark_handled(string $eventId): void
{
    // store the id
}
