package lrs

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// VerifySignedStatement checks the signature of a signed statement (xAPI
// Data 2.6): jws is the data of its signature attachment, statement the
// statement as received (before the LRS assigns id, stored, authority and
// version; for a PUT, with the statementId parameter as its id).
//
// jws must be a JWS compact serialization (RFC 7515) whose algorithm is
// RS256, RS384 or RS512 (XAPI-00117) and whose payload is a JSON statement
// (XAPI-00116) logically equivalent to statement: equal comparison hashes
// (see ContentHash: id, stored, authority, version and attachments do not
// count, nor a duration's precision beyond hundredths of a second, 2.0.0
// 9274.1.1 4.2.7) and, when the payload has an id, the same id. When the header
// carries an x5c certificate chain, the signature must verify with the
// public key of its first certificate. The chain itself is not validated,
// and without x5c the signature is not checked at all: the specification
// asks an LRS to catch mistakes, not to authenticate signers.
//
// Every failure is EINVALID with a message that starts "signature: ".
func VerifySignedStatement(statement *fastjson.Value, jws []byte) error {
	parts := bytes.Split(bytes.TrimSpace(jws), []byte{'.'})
	if len(parts) != 3 {
		return Errorf(EINVALID, "signature: not a JWS compact serialization (header.payload.signature)")
	}
	rawHeader, err := decodeBase64URL(parts[0])
	if err != nil {
		return Errorf(EINVALID, "signature: JWS header is not base64url: %v", err)
	}
	var header struct {
		Alg  string   `json:"alg"`
		X5c  []string `json:"x5c"`
		Crit []string `json:"crit"`
	}
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return Errorf(EINVALID, "signature: JWS header is not a JSON object with alg, x5c: %v", err)
	}
	var alg crypto.Hash
	switch header.Alg {
	case "RS256":
		alg = crypto.SHA256
	case "RS384":
		alg = crypto.SHA384
	case "RS512":
		alg = crypto.SHA512
	default:
		return Errorf(EINVALID, "signature: algorithm %q is not RS256, RS384 or RS512", header.Alg)
	}
	if len(header.Crit) > 0 {
		return Errorf(EINVALID, "signature: critical JWS header parameters %s are not understood", strings.Join(header.Crit, ", "))
	}
	rawPayload, err := decodeBase64URL(parts[1])
	if err != nil {
		return Errorf(EINVALID, "signature: JWS payload is not base64url: %v", err)
	}
	sig, err := decodeBase64URL(parts[2])
	if err != nil {
		return Errorf(EINVALID, "signature: JWS signature is not base64url: %v", err)
	}
	if len(header.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(header.X5c[0])
		if err != nil {
			return Errorf(EINVALID, "signature: x5c[0] is not base64: %v", err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return Errorf(EINVALID, "signature: x5c[0] is not an X.509 certificate: %v", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return Errorf(EINVALID, "signature: the x5c certificate holds no RSA public key, which %s needs", header.Alg)
		}
		h := alg.New()
		h.Write(parts[0])
		h.Write([]byte{'.'})
		h.Write(parts[1])
		if err := rsa.VerifyPKCS1v15(pub, alg, h.Sum(nil), sig); err != nil {
			return Errorf(EINVALID, "signature: does not verify with the public key of the x5c certificate")
		}
	}
	if err := fastjson.ValidateBytes(rawPayload); err != nil {
		return Errorf(EINVALID, "signature: JWS payload is not a JSON serialization of a statement: %v", err)
	}
	var p fastjson.Parser
	payload, err := p.ParseBytes(rawPayload)
	if err != nil || payload.Type() != fastjson.TypeObject {
		return Errorf(EINVALID, "signature: JWS payload is not a JSON serialization of a statement")
	}
	if pid := payload.GetStringBytes("id"); pid != nil {
		want, err1 := uuid.ParseBytes(pid)
		got, err2 := uuid.ParseBytes(statement.GetStringBytes("id"))
		if err1 != nil || err2 != nil || want != got {
			return Errorf(EINVALID, "signature: the signed statement has id %q, the statement %q", pid, statement.GetStringBytes("id"))
		}
	}
	if ContentHash(payload) != ContentHash(statement) {
		return Errorf(EINVALID, "signature: the signed statement differs from the statement (beyond id, stored, authority, version, attachments and a duration's precision beyond hundredths of a second)")
	}
	return nil
}

// decodeBase64URL decodes base64url without padding (RFC 7515), also
// accepting padding.
func decodeBase64URL(b []byte) ([]byte, error) {
	b = bytes.TrimRight(b, "=")
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(b)))
	n, err := base64.RawURLEncoding.Decode(out, b)
	return out[:n], err
}
