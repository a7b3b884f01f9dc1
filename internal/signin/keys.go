package signin

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// Fetch pacing. An identity provider that is down must not be asked again
// by every request that arrives meanwhile, nor must forged key IDs make
// every request fetch the keys: go-oidc's RemoteKeySet does both (it
// refetches on each unknown key and after each failure), so the keys are
// fetched here and go-oidc only checks signatures and claims.
const (
	refetchEvery = time.Minute      // least time between key fetches after a success
	firstBackoff = time.Second      // wait after one failure; it doubles with each failure in a row
	maxBackoff   = time.Minute      // and stops growing here
	fetchTimeout = 10 * time.Second // one fetch, whoever waits for it
)

// errUnavailable marks a failure of the provider (its metadata or keys
// could not be fetched), as opposed to a token that does not verify.
var errUnavailable = errors.New("identity provider unavailable")

// flight runs one fetch at a time for every caller that needs it: callers
// that arrive while a fetch is under way wait for it. After a fetch no new
// one starts for a while — after a success for the refresh interval (zero:
// never again), after a failure for a backoff that grows with each failure
// in a row — and callers get what the last fetch got.
type flight[T any] struct {
	refresh time.Duration

	mu      sync.Mutex
	running chan struct{} // closed when the fetch under way ends; nil if none is
	val     T             // the last value fetched
	have    bool          // val was fetched
	err     error         // the last fetch's failure, nil after a success
	fails   int           // failures in a row
	next    time.Time     // no fetch before this
}

// get returns the value, fetching it if no fetch is under way and the
// pause after the last one has passed. The fetch runs apart from the
// caller's cancellation, so that one caller giving up does not fail the
// others waiting for it.
func (f *flight[T]) get(ctx context.Context, now time.Time, fetch func(context.Context) (T, error)) (T, error) {
	f.mu.Lock()
	if f.running == nil {
		if f.have && f.err == nil && f.refresh == 0 || now.Before(f.next) {
			defer f.mu.Unlock()
			return f.val, f.err
		}
		f.running = make(chan struct{})
		go f.run(context.WithoutCancel(ctx), now, fetch, f.running)
	}
	running := f.running
	f.mu.Unlock()
	select {
	case <-running:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.val, f.err
}

func (f *flight[T]) run(ctx context.Context, now time.Time, fetch func(context.Context) (T, error), done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	v, err := fetch(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.fails++
		wait := min(firstBackoff<<min(f.fails-1, 16), maxBackoff)
		f.err = fmt.Errorf("%w: %w (next try after %v)", errUnavailable, err, now.Add(wait).UTC().Format(time.TimeOnly))
		f.next = now.Add(wait)
	} else {
		f.val, f.have, f.err, f.fails = v, true, nil, 0
		f.next = now.Add(f.refresh)
	}
	f.running = nil
	close(done)
}

// keySet holds the provider's signing keys (its JWKS) for go-oidc's
// verifier, which checks the algorithm, issuer, audience and expiry; the
// signature itself is checked by go-oidc's StaticKeySet over the keys that
// carry the token's key ID.
type keySet struct {
	url   string
	http  *http.Client
	now   func() time.Time
	fetch flight[*jose.JSONWebKeySet]
}

func newKeySet(url string, hc *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, http: hc, now: now, fetch: flight[*jose.JSONWebKeySet]{refresh: refetchEvery}}
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, signingAlgs)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := k.keys(kid)
	if keys == nil {
		// A key the provider published since the last fetch, or a forged
		// kid: fetch again, at most once a minute.
		set, err := k.fetch.get(ctx, k.now(), k.download)
		if set != nil {
			keys = pick(set, kid)
		}
		if keys == nil {
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("no key %q among the provider's keys", kid)
		}
	}
	return (&oidc.StaticKeySet{PublicKeys: keys}).VerifySignature(ctx, jwt)
}

// keys returns the cached keys for kid without fetching.
func (k *keySet) keys(kid string) []crypto.PublicKey {
	k.fetch.mu.Lock()
	set := k.fetch.val
	k.fetch.mu.Unlock()
	if set == nil {
		return nil
	}
	return pick(set, kid)
}

// failure is the last key fetch's error, nil if it succeeded.
func (k *keySet) failure() error {
	k.fetch.mu.Lock()
	defer k.fetch.mu.Unlock()
	return k.fetch.err
}

// pick returns the signing keys with the key ID kid (all of them when the
// token names none).
func pick(set *jose.JSONWebKeySet, kid string) []crypto.PublicKey {
	var out []crypto.PublicKey
	for _, j := range set.Keys {
		if (kid == "" || j.KeyID == kid) && (j.Use == "" || j.Use == "sig") && j.IsPublic() && j.Valid() {
			out = append(out, j.Key)
		}
	}
	return out
}

func (k *keySet) download(ctx context.Context) (*jose.JSONWebKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch keys from %s: %s", k.url, resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("fetch keys from %s: %w", k.url, err)
	}
	return &set, nil
}

// signingAlgs are the asymmetric algorithms go-oidc verifies; a provider
// that also offers HS256 or none does not get them accepted here.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}
