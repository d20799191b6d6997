package lrs

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// signer is an RSA key with a self-signed certificate, made for the test.
type signer struct {
	key  *rsa.PrivateKey
	cert []byte // DER
}

func newSigner(t testing.TB) signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "jejak test signer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key, cert: der}
}

// sign returns a JWS compact serialization of payload. header is merged
// into {"alg":alg,"x5c":[cert]}; a nil x5c value in it drops x5c.
func (s signer) sign(t testing.TB, alg string, payload string, header map[string]any) []byte {
	t.Helper()
	h := map[string]any{"alg": alg, "x5c": []string{base64.StdEncoding.EncodeToString(s.cert)}}
	for k, v := range header {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	var ch crypto.Hash
	switch alg {
	case "RS384":
		ch = crypto.SHA384
	case "RS512":
		ch = crypto.SHA512
	default:
		ch = crypto.SHA256
	}
	d := ch.New()
	d.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, ch, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
}

func TestVerifySignedStatement(t *testing.T) {
	good, other := newSigner(t), newSigner(t)
	const id = "33cff416-e331-4c9d-969e-5373a1756120"
	const original = `{"id":"` + id + `","actor":{"mbox":"mailto:example@example.com","name":"Example Learner","objectType":"Agent"},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},` +
		`"object":{"id":"https://www.youtube.com/watch?v=xh4kIiH3Sm8","objectType":"Activity"},"timestamp":"2013-04-01T12:00:00Z"}`
	// The statement as received: the original plus its signature attachment,
	// keys in another order, a version and the timestamp in another form.
	received := `{"timestamp":"2013-04-01T12:00:00.000Z","version":"1.0.0","id":"` + id + `",` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},` +
		`"actor":{"objectType":"Agent","name":"Example Learner","mbox":"mailto:example@example.com"},` +
		`"object":{"id":"https://www.youtube.com/watch?v=xh4kIiH3Sm8"},` +
		`"attachments":[{"usageType":"http://adlnet.gov/expapi/attachments/signature","display":{"en-US":"Signature"},"contentType":"application/octet-stream","length":1,"sha2":"` + strings.Repeat("a", 64) + `"}]}`
	withoutID := strings.Replace(original, `"id":"`+id+`",`, "", 1)

	tests := []struct {
		name      string
		statement string
		jws       []byte
		wantErr   string // "" means valid
	}{
		{"XAPI-00115 RS256 with x5c verifies", received, good.sign(t, "RS256", original, nil), ""},
		{"XAPI-00117 RS384", received, good.sign(t, "RS384", original, nil), ""},
		{"XAPI-00117 RS512", received, good.sign(t, "RS512", original, nil), ""},
		{"payload without id matches a statement with one", received, good.sign(t, "RS256", withoutID, nil), ""},
		{"without x5c the signature is not checked", received, other.sign(t, "RS256", original, map[string]any{"x5c": nil}), ""},
		{"XAPI-00117 HS256 is refused", received, good.sign(t, "HS256", original, nil), `algorithm "HS256"`},
		{"XAPI-00117 alg none is refused", received, []byte(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(original)) + "."), `algorithm "none"`},
		{"XAPI-00117 signed with another key than the certificate's", received, func() []byte {
			j := other.sign(t, "RS256", original, map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(good.cert)}})
			return j
		}(), "does not verify"},
		{"XAPI-00117 tampered payload", received, func() []byte {
			j := strings.Split(string(good.sign(t, "RS256", original, nil)), ".")
			j[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(original, "experienced", "completed", 1)))
			return []byte(strings.Join(j, "."))
		}(), "does not verify"},
		{"XAPI-00116 payload is another statement", received, good.sign(t, "RS256", strings.Replace(original, "xh4kIiH3Sm8", "other", 1), nil), "differs"},
		{"XAPI-00116 payload with another id", received, good.sign(t, "RS256", strings.Replace(original, "33cff416", "44cff416", 1), nil), "id"},
		{"XAPI-00116 payload is not JSON", received, good.sign(t, "RS256", `{"actor":`, nil), "not a JSON serialization"},
		{"XAPI-00116 payload is an array", received, good.sign(t, "RS256", `[`+original+`]`, nil), "not a JSON serialization"},
		{"2.0.0 4.2.7 a duration beyond hundredths is not compared", strings.Replace(received, `"timestamp"`, `"result":{"duration":"P1DT12H36M0.1237S"},"timestamp"`, 1), good.sign(t, "RS256", strings.Replace(original, `"timestamp"`, `"result":{"duration":"P1DT12H36M0.12S"},"timestamp"`, 1), nil), ""},
		{"2.0.0 4.2.7 a duration's hundredths are compared, cut, not rounded", strings.Replace(received, `"timestamp"`, `"result":{"duration":"P1DT12H36M0.1237S"},"timestamp"`, 1), good.sign(t, "RS256", strings.Replace(original, `"timestamp"`, `"result":{"duration":"P1DT12H36M0.13S"},"timestamp"`, 1), nil), "differs"},
		{"not compact serialization", received, []byte(`{"payload":"e30","signatures":[]}`), "compact"},
		{"header not JSON", received, []byte("bm90IGpzb24.e30.c2ln"), "header"},
		{"unknown critical header", received, good.sign(t, "RS256", original, map[string]any{"crit": []string{"exp"}, "exp": 1}), "critical"},
		{"x5c not a certificate", received, good.sign(t, "RS256", original, map[string]any{"x5c": []string{"AAAA"}}), "X.509"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := fastjson.Parse(tt.statement)
			if err != nil {
				t.Fatal(err)
			}
			err = VerifySignedStatement(st, tt.jws)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifySignedStatement: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(ErrorMessage(err), "signature: ") {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tt.wantErr)
			}
		})
	}
}
