// Shouyin from Go: create a checkout session with net/http, and receive Shouyin's webhooks verified
// with the Standard Webhooks library (github.com/standard-webhooks/standard-webhooks/libraries/go).
//
//	go mod tidy
//	SHOUYIN_BASE_URL=http://127.0.0.1:8787 SHOUYIN_SECRET_KEY=sk_test_… go run . create
//	SHOUYIN_WEBHOOK_SECRET=whsec_… go run . serve   # webhooks on http://127.0.0.1:8080/shouyin/webhooks
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// CheckoutSession is the part of the session object this program reads (docs/merchant-api.md).
type CheckoutSession struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	Amount          int64  `json:"amount"`
	MerchantOrderID string `json:"merchant_order_id"`
	ClientSecret    string `json:"client_secret"`
}

// Event is a webhook body: {id, type, created, livemode, data: {object}}.
type Event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// APIError is a non-2xx answer: Shouyin's {"error": {type, code, message, param?}}.
type APIError struct {
	Status int
	Type   string `json:"type"`
	Code   string `json:"code"`
	Msg    string `json:"message"`
	Param  string `json:"param"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

var client = &http.Client{Timeout: 30 * time.Second}

// CreateSession posts /v1/checkout/sessions. amount is integer fen (8888 is ¥88.88). Keep one
// idempotencyKey per order: a retry with the same key and body returns the same session.
func CreateSession(baseURL, secretKey string, amount int64, description, merchantOrderID, idempotencyKey string) (*CheckoutSession, error) {
	body, err := json.Marshal(map[string]any{
		"amount": amount, "currency": "CNY", "description": description, "merchant_order_id": merchantOrderID,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(baseURL, "/")+"/v1/checkout/sessions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idempotencyKey)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error APIError `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("HTTP %d: %.200s", res.StatusCode, raw)
		}
		e.Error.Status = res.StatusCode
		return nil, &e.Error
	}
	var s CheckoutSession
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// WebhookHandler verifies each request before anything else, then handles each event id once.
func WebhookHandler(secret string) (http.HandlerFunc, error) {
	wh, err := standardwebhooks.NewWebhook(secret) // "whsec_…"
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	seen := map[string]bool{} // use your database in production
	return func(w http.ResponseWriter, r *http.Request) {
		// The raw bytes, as received: re-encoded JSON would not match the signature.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		// Checks webhook-id, webhook-timestamp (within 5 minutes) and every v1 signature in webhook-signature.
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		var event Event
		if err := json.Unmarshal(body, &event); err != nil {
			http.Error(w, "invalid event", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen[event.ID]
		seen[event.ID] = true
		mu.Unlock()
		if !dup && event.Type == "checkout.session.paid" {
			var s CheckoutSession
			if err := json.Unmarshal(event.Data.Object, &s); err == nil {
				log.Printf("fulfil order %s: %d fen paid (session %s)", s.MerchantOrderID, s.Amount, s.ID)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}, nil
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: go run . create | serve")
	}
	switch os.Args[1] {
	case "create":
		base := os.Getenv("SHOUYIN_BASE_URL")
		if base == "" {
			base = "http://127.0.0.1:8787"
		}
		order := "go-" + randomID()
		s, err := CreateSession(base, os.Getenv("SHOUYIN_SECRET_KEY"), 8888, "机械键盘 Mechanical keyboard", order, "order-"+order)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.ID, s.Status, "client_secret for the page:", s.ClientSecret)
	case "serve":
		h, err := WebhookHandler(os.Getenv("SHOUYIN_WEBHOOK_SECRET"))
		if err != nil {
			log.Fatal(err)
		}
		http.Handle("/shouyin/webhooks", h)
		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}
