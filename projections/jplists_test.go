package projections_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/projections"
)

// The JP view finds a unit whatever the case of its name, lists every unit
// with its people under the name most of them are registered with, and
// lists people in NIP order from any NIP on, each as last registered;
// a move between units leaves the old unit.
func TestJP_UnitsMatchWhateverCaseAndListPeople(t *testing.T) {
	const siti, budi, ani, dewi = "199001012015011001", "197805152003121002", "198203042006041003", "198811112012122004"
	person := func(nip bangkom.NIP, name, unit string) bangkom.Person {
		return bangkom.Person{NIP: nip, Name: name, Unit: unit, Type: "PNS", Timezone: "WIB"}
	}
	sc := scenario{Events: []scenarioEvent{
		{People: []bangkom.Person{person(siti, "Siti", "Biro Umum"), person(budi, "Budi", "BIRO UMUM"), person(ani, "Ani", "biro umum"), person(dewi, "Dewi", "Biro Keuangan")}},
		{People: []bangkom.Person{person(ani, "Ani", "Biro Umum"), person(dewi, "Dewi Lestari", "Biro Keuangan")}},
		{People: []bangkom.Person{person(budi, "Budi", "Inspektorat")}},
	}}
	evs, _ := scenarioLog(t, sc)
	ix := reopenedAfter(t, loadRules(t), evs)
	defer ix.Close()
	ctx := context.Background()
	for _, name := range []string{"Biro Umum", "BIRO UMUM", "biro umum", "bIRO uMUM"} {
		nips, err := ix.Unit(ctx, name)
		if err != nil || !slices.Equal(nips, []bangkom.NIP{ani, siti}) {
			t.Fatalf("Unit(%q) = %v, %v; want Ani and Siti", name, nips, err)
		}
	}
	units, err := ix.Units(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []bangkom.UnitMembers{{Unit: "Biro Keuangan", People: []bangkom.NIP{dewi}}, {Unit: "Biro Umum", People: []bangkom.NIP{ani, siti}}, {Unit: "Inspektorat", People: []bangkom.NIP{budi}}}
	if !slices.EqualFunc(units, want, func(a, b bangkom.UnitMembers) bool { return a.Unit == b.Unit && slices.Equal(a.People, b.People) }) {
		t.Fatalf("Units = %+v, want %+v", units, want)
	}
	var names []string
	if err := ix.EachPerson(ctx, ani, func(p bangkom.Person) bool { names = append(names, p.Name); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"Dewi Lestari", "Siti"}) {
		t.Fatalf("EachPerson after Ani: %v", names)
	}
	names = nil
	if err := ix.UnitPeople(ctx, "BIRO umum", "", func(p bangkom.Person) bool { names = append(names, p.Name+" "+p.Unit); return false }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"Ani Biro Umum"}) {
		t.Fatalf("UnitPeople, the first: %v", names)
	}
	if projections.FoldUnit("Biro Umum") != projections.FoldUnit("BIRO UMUM") || projections.FoldUnit("Biro Umum") == projections.FoldUnit("Biro Umun") {
		t.Fatal("FoldUnit does not match EqualFold")
	}
}
