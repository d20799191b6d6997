package projections

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// PebbleOptions returns the options every view is opened with: a block
// cache of cacheBytes (outside the Go heap), bloom filters on every level so
// that looking up an id that is not there (every new statement) reads no
// blocks, and Pebble's informational logging off.
func PebbleOptions(cacheBytes int64) *pebble.Options {
	opts := &pebble.Options{
		Cache:        pebble.NewCache(cacheBytes),
		MemTableSize: 32 << 20,
		Logger:       quietLogger{},
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return opts
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
