// Shouyin's webhooks verified with the JDK alone (javax.crypto), for a project that cannot add the
// Standard Webhooks library (WebhookController.java uses it). The rule (docs/webhooks.md):
//
//   webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>
//
// where key is the base64 after "whsec_" in the endpoint's secret. Several space-separated
// signatures may come while a secret is being rotated; one match is enough.

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class StdlibWebhookVerifier {
    public static final long TOLERANCE_SECONDS = 5 * 60;

    public static final class VerificationException extends Exception {
        VerificationException(String message) {
            super(message);
        }
    }

    /**
     * Throws unless the request is a webhook Shouyin signed with {@code secret} within the last 5
     * minutes. {@code rawBody}: the request body's bytes as received (not re-serialised JSON).
     * {@code headers}: header names in any case. Returns the body as text for your JSON parser.
     */
    public static String verify(String secret, Map<String, List<String>> headers, byte[] rawBody) throws VerificationException {
        String id = header(headers, "webhook-id");
        String timestamp = header(headers, "webhook-timestamp");
        String signatures = header(headers, "webhook-signature");
        if (id == null || timestamp == null || signatures == null) throw new VerificationException("missing webhook-id, webhook-timestamp or webhook-signature");
        if (!timestamp.matches("\\d{1,12}")) throw new VerificationException("webhook-timestamp is not Unix seconds");
        long now = System.currentTimeMillis() / 1000;
        if (Math.abs(now - Long.parseLong(timestamp)) > TOLERANCE_SECONDS) throw new VerificationException("webhook-timestamp is outside the tolerance");

        byte[] expected;
        try {
            byte[] key = Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring(6) : secret);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            expected = mac.doFinal(rawBody);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("the webhook secret is not whsec_ followed by base64", e);
        }
        boolean matched = false;
        for (String candidate : signatures.split(" ")) {
            if (!candidate.startsWith("v1,")) continue;
            byte[] received;
            try {
                received = Base64.getDecoder().decode(candidate.substring(3));
            } catch (IllegalArgumentException e) {
                continue;
            }
            // MessageDigest.isEqual takes time independent of where the bytes differ.
            matched |= MessageDigest.isEqual(received, expected);
        }
        if (!matched) throw new VerificationException("no matching signature");
        return new String(rawBody, StandardCharsets.UTF_8);
    }

    private static String header(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && e.getValue() != null && !e.getValue().isEmpty()) return e.getValue().get(0);
        }
        return null;
    }
}
