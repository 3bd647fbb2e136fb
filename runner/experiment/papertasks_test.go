package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPaperTasks: the paper run as separate tasks (chains in reverse seed order, then
// cells, then the report) gives the same products, byte for byte, as one Paper run;
// PaperPending lists exactly what is missing or damaged, and a cell before its chain fails
// naming the snapshot it needs.
func TestPaperTasks(t *testing.T) {
	want := reference(t)
	ctx := context.Background()
	cfg := tinyPaper(t, t.TempDir())
	todo, err := PaperPending(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(todo) != 2 || !todo[0].Chain || !todo[1].Chain || len(todo[0].Cells) != 2 || todo[0].Seed != 1 || todo[1].Seed != 2 {
		t.Fatalf("pending in an empty folder: %+v, want both chains and all 4 cells", todo)
	}
	if _, err := PaperCell(ctx, cfg, 1, 10); err == nil || !strings.Contains(err.Error(), "awake-10.snap") {
		t.Fatalf("a cell before its chain: %v, want an error naming the snapshot it needs", err)
	}
	if err := PaperChain(ctx, cfg, 3); err == nil || !strings.Contains(err.Error(), "Seeds") {
		t.Errorf("a chain of a seed not in the run: %v, want an error naming Seeds", err)
	}
	if _, err := PaperCell(ctx, cfg, 1, 15); err == nil || !strings.Contains(err.Error(), "Levels") {
		t.Errorf("a cell of a level not in the run: %v, want an error naming Levels", err)
	}
	for _, seed := range []uint64{2, 1} {
		if err := PaperChain(ctx, cfg, seed); err != nil {
			t.Fatal(err)
		}
	}
	todo, err = PaperPending(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(todo) != 2 || todo[0].Chain || todo[1].Chain || len(todo[1].Cells) != 2 {
		t.Fatalf("pending after the chains: %+v, want no chain and all 4 cells", todo)
	}
	for _, seed := range cfg.Seeds {
		for _, level := range cfg.Levels {
			if _, err := PaperCell(ctx, cfg, seed, level); err != nil {
				t.Fatal(err)
			}
		}
	}
	if todo, err = PaperPending(cfg); err != nil || len(todo) != 0 {
		t.Fatalf("pending after every task: %+v, %v; want nothing", todo, err)
	}
	if _, _, err := runPaper(t, ctx, cfg); err != nil {
		t.Fatal(err)
	}
	sameProducts(t, "tasks", products(t, cfg.Dir), want)

	// A damaged cell and a missing snapshot are pending, and nothing else.
	cell := filepath.Join(cfg.Dir, "seed2", "cell-20.json")
	b, _ := os.ReadFile(cell)
	if err := os.WriteFile(cell, []byte(strings.Replace(string(b), `"slept_accuracy":`, `"slept_accuracy":1`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.Dir, "seed1", "awake-20.snap")); err != nil {
		t.Fatal(err)
	}
	todo, err = PaperPending(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(todo) != 2 || !todo[0].Chain || len(todo[0].Cells) != 1 || todo[0].Cells[0].Level != 20 ||
		todo[1].Chain || len(todo[1].Cells) != 1 || todo[1].Cells[0].Level != 20 || !strings.Contains(todo[1].Cells[0].Why, "checksum") {
		t.Fatalf("pending after damage: %+v, want seed 1's chain and cell 20, seed 2's cell 20 (checksum)", todo)
	}
}

// TestPaperScheduleIndependent: the schedule of Paper (one slot, or more slots than cores,
// chains and cells sharing them) does not change a byte of the products.
func TestPaperScheduleIndependent(t *testing.T) {
	want := reference(t)
	for _, w := range []int{1, 3} {
		cfg := tinyPaper(t, t.TempDir())
		cfg.Workers = w
		if _, _, err := runPaper(t, context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		sameProducts(t, fmt.Sprintf("workers=%d", w), products(t, cfg.Dir), want)
	}
}
