package lrs

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

func TestAttachmentsOf(t *testing.T) {
	h64 := strings.Repeat("ab", 32)
	att := func(extra string) string {
		return `{"usageType":"http://e.com/u","display":{"en":"a"},"contentType":"text/plain","length":1,"sha2":"` + h64 + `"` + extra + `}`
	}
	tests := []struct {
		name string
		in   string
		want []AttachmentRef
	}{
		{"no attachments", `{"actor":{}}`, nil},
		{"one statement", `{"attachments":[` + att("") + `]}`, []AttachmentRef{
			{Statement: 0, Path: "attachments[0]", SHA2: h64, Key: h64, ContentType: "text/plain", UsageType: "http://e.com/u", Length: 1},
		}},
		{"array names the statement", `[{},{"attachments":[` + att(`,"fileUrl":"http://e.com/f"`) + `]}]`, []AttachmentRef{
			{Statement: 1, Path: "statements[1]: attachments[0]", SHA2: h64, Key: h64, ContentType: "text/plain", UsageType: "http://e.com/u", FileURL: "http://e.com/f", Length: 1},
		}},
		{"sub-statement attachments follow", `{"attachments":[` + att("") + `],"object":{"objectType":"SubStatement","attachments":[` + att("") + `]}}`, []AttachmentRef{
			{Statement: 0, Path: "attachments[0]", SHA2: h64, Key: h64, ContentType: "text/plain", UsageType: "http://e.com/u", Length: 1},
			{Statement: 0, Path: "object.attachments[0]", SHA2: h64, Key: h64, ContentType: "text/plain", UsageType: "http://e.com/u", Length: 1},
		}},
		{"upper case sha2 keyed in lower case", `{"attachments":[{"sha2":"` + strings.ToUpper(h64) + `"}]}`, []AttachmentRef{
			{Statement: 0, Path: "attachments[0]", SHA2: strings.ToUpper(h64), Key: h64, Length: -1}, // no length
		}},
		{"malformed ones are skipped for validation to report", `{"attachments":[{"sha2":"abc"},7,{"sha2":1}]}`, nil},
		{"attachments not an array", `{"attachments":{}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AttachmentsOf(fastjson.MustParse(tt.in))
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAttachmentRef_NeedsData(t *testing.T) {
	tests := []struct {
		name string
		in   AttachmentRef
		want bool
	}{
		{"XAPI-00129 without fileUrl", AttachmentRef{}, true},
		{"with fileUrl", AttachmentRef{FileURL: "http://e.com/f"}, false},
		{"XAPI-00115 a signature even with fileUrl", AttachmentRef{FileURL: "http://e.com/f", UsageType: SignatureUsage}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.NeedsData(); got != tt.want {
				t.Fatalf("NeedsData() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewSHA2(t *testing.T) {
	data := []byte("here is a simple attachment")
	s224, s256, s384, s512 := sha256.Sum224(data), sha256.Sum256(data), sha512.Sum384(data), sha512.Sum512(data)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"SHA-224", hex.EncodeToString(s224[:]), false},
		{"SHA-256", hex.EncodeToString(s256[:]), false},
		{"SHA-256 spec example", "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a", false},
		{"SHA-384", hex.EncodeToString(s384[:]), false},
		{"SHA-512", hex.EncodeToString(s512[:]), false},
		{"SHA-1 length", strings.Repeat("a", 40), true},
		{"not hex", strings.Repeat("g", 64), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewSHA2(tt.in)
			if tt.wantErr {
				if ErrorCode(err) != EINVALID {
					t.Fatalf("err = %v, want EINVALID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h.Write(data)
			if got := HexSum(h); got != tt.in {
				t.Fatalf("HexSum = %s, want %s", got, tt.in)
			}
		})
	}
}
