package bangkom

import (
	"testing"
	"time"
)

func TestIsoDate(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(987, 10, 20, 0, 0, 0, 0, time.UTC),
		time.Date(12026, 5, 5, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := isoDate(d), d.Format("2006-01-02"); got != want {
			t.Errorf("isoDate(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPeriodKey(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		kind     string
		a, b     time.Time
		samePart bool
	}{
		{"day", day(3, 2), day(3, 2), true},
		{"day", day(3, 2), day(3, 3), false},
		{"month", day(3, 2), day(3, 31), true},
		{"month", day(3, 31), day(4, 1), false},
		{"semester", day(1, 1), day(6, 30), true},
		{"semester", day(6, 30), day(7, 1), false},
		{"year", day(1, 1), day(12, 31), true},
		{"year", day(12, 31), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"fortnight", day(1, 1), day(12, 31), true}, // a kind the rules do not know: one period
	} {
		if got := periodKey("NK-COACHING", c.kind, c.a) == periodKey("NK-COACHING", c.kind, c.b); got != c.samePart {
			t.Errorf("%s: %v and %v in one period = %v, want %v", c.kind, c.a, c.b, got, c.samePart)
		}
	}
	if periodKey("A", "month", day(3, 2)) == periodKey("B", "month", day(3, 2)) {
		t.Error("two forms share a period key")
	}
}

func TestByDate(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	var items []Item
	// 40 items over 3 days, several per event (the same seq), out of order
	for i := range 40 {
		items = append(items, Item{StatementID: string(rune('A' + i)), day: day(3 - i%3), seq: uint64(10 - i/8)})
	}
	got := byDate(items)
	if len(got) != len(items) {
		t.Fatalf("%d items, want %d", len(got), len(items))
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		switch {
		case a.day.After(b.day):
			t.Fatalf("item %d (%v) after item %d (%v)", i-1, a.day, i, b.day)
		case a.day.Equal(b.day) && a.seq > b.seq:
			t.Fatalf("items %d and %d of one day out of log order: seq %d, %d", i-1, i, a.seq, b.seq)
		case a.day.Equal(b.day) && a.seq == b.seq && a.StatementID > b.StatementID:
			t.Fatalf("items %d and %d of one event not as they came: %s, %s", i-1, i, a.StatementID, b.StatementID)
		}
	}
}
