// Shouyin from Java: create a checkout session with the JDK's own HTTP client (Java 11+), no library.
//
//   javac CreateSession.java && \
//   SHOUYIN_BASE_URL=http://127.0.0.1:8787 SHOUYIN_SECRET_KEY=sk_test_… java CreateSession
//
// In an application, parse the answer with the JSON library you already use (Jackson, Gson, fastjson2).

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

public final class CreateSession {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A non-2xx answer; {@code body} is Shouyin's {"error": {type, code, message, param?}}. */
    public static final class ShouyinApiException extends IOException {
        public final int status;
        public final String body;

        ShouyinApiException(int status, String body) {
            super("Shouyin answered " + status + ": " + body);
            this.status = status;
            this.body = body;
        }
    }

    /**
     * POST /v1/checkout/sessions. {@code amount} is integer fen (8888 is ¥88.88). Keep one
     * {@code idempotencyKey} per order: a retry with the same key and body returns the same session.
     * Returns the session JSON (id, status, client_secret, …).
     */
    public static String create(String baseUrl, String secretKey, long amount, String description, String merchantOrderId, String idempotencyKey)
            throws IOException, InterruptedException {
        String json = "{\"amount\":" + amount + ",\"currency\":\"CNY\",\"description\":" + jsonString(description)
                + ",\"merchant_order_id\":" + jsonString(merchantOrderId) + "}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl.replaceAll("/+$", "") + "/v1/checkout/sessions"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + secretKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() / 100 != 2) throw new ShouyinApiException(response.statusCode(), response.body());
        return response.body();
    }

    /** A JSON string literal (quotes, backslashes and control characters escaped; Chinese text kept as is). */
    static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        String base = System.getenv().getOrDefault("SHOUYIN_BASE_URL", "http://127.0.0.1:8787");
        String orderId = args.length > 0 ? args[0] : "java-" + UUID.randomUUID().toString().substring(0, 8);
        System.out.println(create(base, System.getenv("SHOUYIN_SECRET_KEY"), 8888, "机械键盘 Mechanical keyboard", orderId, "order-" + orderId));
    }
}
