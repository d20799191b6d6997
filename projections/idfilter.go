package projections

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/google/uuid"
)

// idFilter is a Bloom filter over the statement ids a view holds, kept in
// memory so that looking up an id that is not there (nearly every new
// statement, on the write path and in the fold) costs no database read. A
// "maybe" is checked in the database. It is safe for one writer and many
// readers.
type idFilter struct {
	bits  []atomic.Uint64
	mask  uint64 // len(bits)*64 - 1 (a power of two)
	count atomic.Int64
	cap   int64 // ids it holds at ~1% false positives
}

const idFilterHashes = 7

// newIDFilter returns a filter sized for capacity ids (at least 1<<20).
func newIDFilter(capacity int64) *idFilter {
	capacity = max(capacity, 1<<20)
	nbits := uint64(1)
	for nbits < uint64(capacity)*10 {
		nbits <<= 1
	}
	return &idFilter{bits: make([]atomic.Uint64, nbits/64), mask: nbits - 1, cap: capacity}
}

func mix(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (f *idFilter) hashes(id uuid.UUID) (uint64, uint64) {
	a, b := binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:])
	return mix(a ^ mix(b)), mix(b+0x9e3779b97f4a7c15) | 1
}

// add records id.
func (f *idFilter) add(id uuid.UUID) {
	h1, h2 := f.hashes(id)
	for i := uint64(0); i < idFilterHashes; i++ {
		bit := (h1 + i*h2) & f.mask
		w := &f.bits[bit/64]
		m := uint64(1) << (bit % 64)
		for {
			old := w.Load()
			if old&m != 0 || w.CompareAndSwap(old, old|m) {
				break
			}
		}
	}
	f.count.Add(1)
}

// mayHold reports whether id may be in the view; false is certain.
func (f *idFilter) mayHold(id uuid.UUID) bool {
	h1, h2 := f.hashes(id)
	for i := uint64(0); i < idFilterHashes; i++ {
		bit := (h1 + i*h2) & f.mask
		if f.bits[bit/64].Load()&(uint64(1)<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// full reports whether the filter holds more ids than it was sized for.
func (f *idFilter) full() bool { return f.count.Load() > f.cap }
