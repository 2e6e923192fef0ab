<?php
// Shouyin from PHP: create a checkout session with the curl extension, no library.
//
//   SHOUYIN_BASE_URL=http://127.0.0.1:8787 SHOUYIN_SECRET_KEY=sk_test_… php create_session.php

declare(strict_types=1);

final class ShouyinApiException extends RuntimeException
{
    /** @param array{type?: string, code?: string, message?: string, param?: string} $error Shouyin's error object */
    public function __construct(public readonly int $status, public readonly array $error)
    {
        parent::__construct(sprintf('%d %s: %s', $status, $error['code'] ?? 'unknown', $error['message'] ?? ''));
    }
}

/**
 * POST /v1/checkout/sessions. $amount is integer fen (8888 is ¥88.88). Keep one $idempotencyKey per
 * order: a retry with the same key and body returns the same session instead of creating another.
 *
 * @return array<string, mixed> the session: id, status, client_secret, …
 */
function shouyin_create_session(string $baseUrl, string $secretKey, int $amount, string $description, string $merchantOrderId, string $idempotencyKey): array
{
    $body = json_encode(
        ['amount' => $amount, 'currency' => 'CNY', 'description' => $description, 'merchant_order_id' => $merchantOrderId],
        JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
    );
    $ch = curl_init(rtrim($baseUrl, '/') . '/v1/checkout/sessions');
    curl_setopt_array($ch, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => $body,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 30,
        CURLOPT_HTTPHEADER => [
            'Authorization: Bearer ' . $secretKey,
            'Content-Type: application/json',
            'Idempotency-Key: ' . $idempotencyKey,
        ],
    ]);
    $answer = curl_exec($ch);
    if ($answer === false) {
        $error = curl_error($ch);
        curl_close($ch);
        // No answer: retry with the same Idempotency-Key and body.
        throw new RuntimeException('Shouyin could not be reached: ' . $error);
    }
    $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    curl_close($ch);
    $json = json_decode((string) $answer, true);
    if ($status < 200 || $status >= 300) {
        throw new ShouyinApiException($status, is_array($json['error'] ?? null) ? $json['error'] : ['message' => substr((string) $answer, 0, 200)]);
    }
    return $json;
}

if (PHP_SAPI === 'cli' && realpath($argv[0] ?? '') === __FILE__) {
    $order = 'php-' . bin2hex(random_bytes(6));
    $session = shouyin_create_session(
        getenv('SHOUYIN_BASE_URL') ?: 'http://127.0.0.1:8787',
        (string) getenv('SHOUYIN_SECRET_KEY'),
        8888,
        '机械键盘 Mechanical keyboard',
        $order,
        'order-' . $order
    );
    echo $session['id'], ' ', $session['status'], ' client_secret for the page: ', $session['client_secret'], PHP_EOL;
}
