package api

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readAll returns the whole body whatever the declared length says, and an
// error from the reader as it is.
func TestReadAll(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
	for _, declared := range []int64{-1, 0, 10, int64(len(body)), int64(len(body)) + 7, readAhead * 2} {
		got, err := readAll(iotest.HalfReader(bytes.NewReader(body)), declared)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("declared %d: %d bytes, %v", declared, len(got), err)
		}
	}
	boom := errors.New("boom")
	if _, err := readAll(io.MultiReader(bytes.NewReader(body[:10]), iotest.ErrReader(boom)), 100); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
