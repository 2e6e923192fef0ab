// Shouyin's webhooks in a Spring Boot application, verified with the Standard Webhooks library:
//
//   <dependency>
//     <groupId>com.standardwebhooks</groupId>
//     <artifactId>standardwebhooks</artifactId>
//     <version><!-- the newest on Maven Central --></version>
//   </dependency>
//
// Take the body as bytes: a String parameter may be decoded with a default charset that is not
// UTF-8, and then any Chinese text in the event no longer matches its signature.

package com.example.shop;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class WebhookController {
    private final Webhook webhook;

    public WebhookController(@Value("${shouyin.webhook-secret}") String secret) throws Exception {
        this.webhook = new Webhook(secret); // "whsec_…"
    }

    @PostMapping("/shouyin/webhooks")
    public ResponseEntity<Void> receive(@RequestBody byte[] body, @RequestHeader HttpHeaders headers) {
        String payload = new String(body, StandardCharsets.UTF_8);
        try {
            // The library reads java.net.http.HttpHeaders (names in any case); copy Spring's into one.
            Map<String, List<String>> all = new HashMap<>();
            headers.forEach(all::put);
            webhook.verify(payload, java.net.http.HttpHeaders.of(all, (name, value) -> true));
        } catch (WebhookVerificationException e) {
            return ResponseEntity.badRequest().build();
        }
        // Verified: parse `payload` with your JSON library. The same webhook-id (= event id) arrives
        // again on every retry: record the ids you handled and skip repeats. Answer 2xx quickly and
        // do slow work afterwards; anything else is retried for three days (docs/webhooks.md).
        String eventId = headers.getFirst("webhook-id");
        handle(eventId, payload);
        return ResponseEntity.noContent().build();
    }

    private void handle(String eventId, String eventJson) {
        // e.g. on "type": "checkout.session.paid", mark data.object.merchant_order_id as paid (once).
    }
}
