package lrs

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// SignatureUsage is the usageType of the attachment that signs a statement
// (xAPI Data 2.6); its contentType is SignatureContentType.
const (
	SignatureUsage       = "http://adlnet.gov/expapi/attachments/signature"
	SignatureContentType = "application/octet-stream"
)

// AttachmentRef is one Attachment object of a statement, as far as moving
// its data is concerned.
//
// Attachment data is stored once per hash and named by Key: the sha2
// property in lowercase. Two attachments with the same sha2 share one body.
type AttachmentRef struct {
	Statement   int    // index of the statement in the request or result
	Path        string // where it is, for messages: "statements[1]: attachments[0]" or "attachments[0]"
	SHA2        string // the sha2 property as written
	Key         string // SHA2 in lowercase: the name of the stored body
	ContentType string
	UsageType   string
	FileURL     string
	Length      int64 // the length property; -1 if it is not a non-negative integer
}

// IsSignature reports whether the attachment is a statement's signature.
func (a AttachmentRef) IsSignature() bool { return a.UsageType == SignatureUsage }

// NeedsData reports whether the attachment's data must come with the
// statement: every attachment without a fileUrl, and every signature
// (XAPI-00115, XAPI-00129).
func (a AttachmentRef) NeedsData() bool { return a.FileURL == "" || a.IsSignature() }

// AttachmentsOf lists the attachments of a statement object, or of every
// statement in an array, in order; the attachments of a SubStatement
// object follow those of its statement. It reads what it can and skips
// what it cannot (an attachment without a well-formed sha2, say): it runs
// before validation, which reports such mistakes precisely.
func AttachmentsOf(root *fastjson.Value) []AttachmentRef {
	var refs []AttachmentRef
	switch root.Type() {
	case fastjson.TypeObject:
		refs = statementAttachments(refs, root, 0, "")
	case fastjson.TypeArray:
		items, _ := root.Array()
		for i, v := range items {
			refs = statementAttachments(refs, v, i, "statements["+strconv.Itoa(i)+"]: ")
		}
	}
	return refs
}

func statementAttachments(dst []AttachmentRef, v *fastjson.Value, index int, prefix string) []AttachmentRef {
	dst = attachmentList(dst, v.Get("attachments"), index, prefix+"attachments")
	if obj := v.Get("object"); obj != nil && string(obj.GetStringBytes("objectType")) == "SubStatement" {
		dst = attachmentList(dst, obj.Get("attachments"), index, prefix+"object.attachments")
	}
	return dst
}

func attachmentList(dst []AttachmentRef, list *fastjson.Value, index int, path string) []AttachmentRef {
	if list == nil || list.Type() != fastjson.TypeArray {
		return dst
	}
	items, _ := list.Array()
	for j, a := range items {
		sum := string(a.GetStringBytes("sha2"))
		if !isSHA2(sum) {
			continue
		}
		dst = append(dst, AttachmentRef{
			Statement:   index,
			Path:        path + "[" + strconv.Itoa(j) + "]",
			SHA2:        sum,
			Key:         strings.ToLower(sum),
			ContentType: string(a.GetStringBytes("contentType")),
			UsageType:   string(a.GetStringBytes("usageType")),
			FileURL:     string(a.GetStringBytes("fileUrl")),
			Length:      attachmentLength(a.Get("length")),
		})
	}
	return dst
}

// attachmentLength reads a length property as validation accepts it: an
// integer without fraction or exponent, not negative; -1 otherwise.
func attachmentLength(v *fastjson.Value) int64 {
	if v == nil || v.Type() != fastjson.TypeNumber {
		return -1
	}
	n, err := v.Int64()
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// NewSHA2 returns the SHA-2 function whose hexadecimal digest has the
// length of sum: SHA-224, SHA-256, SHA-384 or SHA-512. It returns
// EINVALID for any other length or a sum that is not hexadecimal.
func NewSHA2(sum string) (hash.Hash, error) {
	if !isSHA2(sum) {
		return nil, Errorf(EINVALID, "%q is not a SHA-2 hash in hexadecimal (56, 64, 96 or 128 digits)", sum)
	}
	switch len(sum) {
	case 56:
		return sha256.New224(), nil
	case 64:
		return sha256.New(), nil
	case 96:
		return sha512.New384(), nil
	default:
		return sha512.New(), nil
	}
}

// HexSum returns h's digest in lowercase hexadecimal.
func HexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
