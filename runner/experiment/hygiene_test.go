package experiment

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// skipDirs are left out of TestNoDroppedMarshalErrors (none: the whole repository is checked).
var skipDirs = []string{}

// TestNoDroppedMarshalErrors: no non-test Go file of the repository discards the error of
// json.Marshal or json.MarshalIndent (a NaN then silently gives empty output).
func TestNoDroppedMarshalErrors(t *testing.T) {
	root := filepath.Join("..", "..")
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			for _, s := range skipDirs {
				if rel == s {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		for _, bad := range droppedMarshalErrors(t, path) {
			t.Errorf("%s: the error of json.Marshal/MarshalIndent is discarded", bad)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("scanned only %d files: is the repository root at %s?", files, root)
	}
}

// TestDroppedMarshalErrorsDetector: the detector finds each way of discarding the error.
func TestDroppedMarshalErrorsDetector(t *testing.T) {
	src := `package p
import "encoding/json"
func f(v any) ([]byte, error) {
	a, _ := json.Marshal(v)
	var b []byte
	b, _ = json.MarshalIndent(v, "", " ")
	json.Marshal(v)
	c, err := json.Marshal(v)
	_, _, _ = a, b, c
	return json.Marshal(v)
}
`
	path := filepath.Join(t.TempDir(), "p.go")
	if err := writeFile(path, src); err != nil {
		t.Fatal(err)
	}
	got := droppedMarshalErrors(t, path)
	if len(got) != 3 || !strings.HasSuffix(got[0], ":4") || !strings.HasSuffix(got[1], ":6") || !strings.HasSuffix(got[2], ":7") {
		t.Errorf("found %v, want lines 4, 6 and 7", got)
	}
}

// droppedMarshalErrors lists file:line of json.Marshal/MarshalIndent calls whose error is
// assigned to _ or whose results are unused.
func droppedMarshalErrors(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	isMarshal := func(e ast.Expr) bool {
		call, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && pkg.Name == "json" && (sel.Sel.Name == "Marshal" || sel.Sel.Name == "MarshalIndent")
	}
	var out []string
	at := func(n ast.Node) { out = append(out, path+":"+strconv.Itoa(fset.Position(n.Pos()).Line)) }
	ast.Inspect(f, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			if len(s.Rhs) == 1 && len(s.Lhs) == 2 && isMarshal(s.Rhs[0]) {
				if id, ok := s.Lhs[1].(*ast.Ident); ok && id.Name == "_" {
					at(s)
				}
			}
		case *ast.ExprStmt:
			if isMarshal(s.X) {
				at(s)
			}
		}
		return true
	})
	return out
}

// flagLike is a command-line flag in a message: a dash and a lower-case word after a space,
// quote or parenthesis ("-seeds", "-n").
var flagLike = regexp.MustCompile(`(^|[\s"'(])-[a-z][a-z-]*`)

// TestErrorsNameNoFlags: this package does not know the command line; its error messages
// name configuration fields, never flags.
func TestErrorsNameNoFlags(t *testing.T) {
	for s, want := range map[string]bool{"-n must be > 0": true, "use -seeds 2": true, "(-warmup-images)": true, "a non-negative number": false, "seeds 1-5": false} {
		if flagLike.MatchString(s) != want {
			t.Fatalf("flag detector on %q: %v, want %v", s, !want, want)
		}
	}
	m, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range m {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// fmt.Errorf, errors.New, and the local helpers bad(...) that wrap them.
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name != "Errorf" && fn.Sel.Name != "New" {
					return true
				}
			case *ast.Ident:
				if fn.Name != "bad" {
					return true
				}
			default:
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					checked++
					s, _ := strconv.Unquote(lit.Value)
					if loc := flagLike.FindString(s); loc != "" {
						t.Errorf("%s: error message %q names a flag (%s)", fset.Position(lit.Pos()), s, strings.TrimSpace(loc))
					}
				}
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("checked only %d messages", checked)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

// TestFiniteJSON: NaN and ±Inf fields and array elements become null with a reason beside
// them, omitempty is honoured as encoding/json does, and null reads back as NaN.
func TestFiniteJSON(t *testing.T) {
	type row struct {
		A     float64   `json:"a"`
		B     float64   `json:"b,omitempty"`
		Xs    []float64 `json:"xs"`
		Empty []float64 `json:"empty,omitempty"`
		S     string    `json:"-"`
		N     int
	}
	v := row{A: math.Inf(-1), Xs: []float64{1, math.NaN()}, S: "hidden", N: 3}
	b, err := finiteJSON(v, func(key string) string {
		if key == "a" {
			return "why a"
		}
		return ""
	})
	want := `{"a":null,"a_reason":"why a","xs":[1,null],"xs_reason":"element 1 is not a number","N":3}`
	if err != nil || string(b) != want {
		t.Fatalf("finiteJSON = %s, %v; want %s", b, err, want)
	}
	var back row
	if err := unmarshalFinite(b, &back); err != nil || !math.IsNaN(back.A) || back.B != 0 || len(back.Xs) != 2 || back.Xs[0] != 1 || !math.IsNaN(back.Xs[1]) || back.N != 3 {
		t.Errorf("reads back as %+v, %v", back, err)
	}
	// Finite values: the same bytes as encoding/json.
	v = row{A: 1.5, B: 2, Xs: []float64{3}, N: 1}
	got, err1 := finiteJSON(v, func(string) string { return "" })
	plain, err2 := json.Marshal(v)
	if err1 != nil || err2 != nil || string(got) != string(plain) {
		t.Errorf("finite: %s, want %s", got, plain)
	}
}
