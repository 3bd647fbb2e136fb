package outfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func write(t *testing.T, path, data string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // umask-independent
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noTemps fails if dir holds any temporary file of this package.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if IsTemp(e.Name()) || strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// wantErr checks that err is an *Error of the given kind naming path.
func wantErr(t *testing.T, err, kind error, path string) {
	t.Helper()
	var e *Error
	if !errors.Is(err, kind) || !errors.As(err, &e) {
		t.Fatalf("error %v, want %v", err, kind)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error does not name %s: %v", path, err)
	}
}

// TestWriteFile: a new file gets the data and mode 0644, a replaced file its new data and
// its old permission bits, and no temporary file stays behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.json")
	if err := WriteFile(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); read(t, p) != "one" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("new file: %q mode %v", read(t, p), fi.Mode())
	}
	write(t, p, "old", 0o600)
	if err := WriteFile(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); read(t, p) != "two" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("replaced file: %q mode %v", read(t, p), fi.Mode())
	}
	noTemps(t, dir)
}

// TestCheckSameFile: an output that is an input or another output, under any name
// (hard link, symlink, ./x, a symlinked folder), is refused; distinct files pass.
func TestCheckSameFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.snap")
	write(t, in, "input", 0o644)
	hard := filepath.Join(dir, "hard.snap")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	soft := filepath.Join(dir, "soft.snap")
	if err := os.Symlink("in.snap", soft); err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink(dir, alias); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	fresh := filepath.Join(dir, "fresh.snap")
	for _, tc := range []struct {
		name        string
		outs, ins   []string
		ok          bool
		wantMention string
	}{
		{"hard link to the input", []string{hard}, []string{in}, false, in},
		{"symlink to the input", []string{soft}, []string{in}, false, in},
		{"input through a symlink", []string{in}, []string{soft}, false, soft},
		{"same name", []string{in}, []string{in}, false, in},
		{"other spelling", []string{"./in.snap"}, []string{in}, false, in},
		{"symlinked folder", []string{filepath.Join(alias, "in.snap")}, []string{"in.snap"}, false, "in.snap"},
		{"two outputs, new file", []string{fresh, "./fresh.snap"}, nil, false, fresh},
		{"two outputs via a symlinked folder", []string{fresh, filepath.Join(alias, "fresh.snap")}, nil, false, fresh},
		{"two outputs, hard links", []string{filepath.Join(dir, "x"), hard, in}, nil, false, hard},
		{"distinct", []string{fresh, filepath.Join(dir, "other.json")}, []string{in, "", filepath.Join(dir, "missing")}, true, ""},
		{"empty entries ignored", []string{"", fresh}, []string{""}, true, ""},
	} {
		err := Check(tc.outs, tc.ins)
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrSameFile) || !strings.Contains(err.Error(), tc.wantMention) {
			t.Errorf("%s: error %v, want ErrSameFile naming %s", tc.name, err, tc.wantMention)
		}
	}
	if read(t, in) != "input" {
		t.Fatal("Check changed the input")
	}
	noTemps(t, dir)
}

// TestSpecialFilesRefused: a directory, /dev/null, a FIFO and a socket are refused by
// Check, Create and WriteFile, without blocking, and are left as they were.
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	toNull := filepath.Join(dir, "null-link")
	if err := os.Symlink("/dev/null", toNull); err != nil {
		t.Fatal(err)
	}
	paths := []string{sub, fifo, sock, toNull}
	if _, err := os.Stat("/dev/null"); err == nil {
		paths = append(paths, "/dev/null")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range paths {
			wantErr(t, Check([]string{p}, nil), ErrNotRegular, p)
			_, err := Create(p)
			wantErr(t, err, ErrNotRegular, p)
			wantErr(t, WriteFile(p, []byte("x")), ErrNotRegular, p)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("refusing a special file blocked")
	}
	for p, want := range map[string]fs.FileMode{sub: fs.ModeDir, fifo: fs.ModeNamedPipe, sock: fs.ModeSocket, "/dev/null": fs.ModeCharDevice} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&want == 0 {
			t.Errorf("%s is now %v", p, fi.Mode())
		}
	}
	noTemps(t, dir)
}

// TestSymlinkWriteThrough: writing to a symlink replaces the file at the end of the chain
// and keeps the links; a dangling link creates its target; a loop is refused.
func TestSymlinkWriteThrough(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	write(t, real, "old", 0o644)
	link1 := filepath.Join(dir, "link1")
	link2 := filepath.Join(dir, "link2")
	if err := os.Symlink("real.json", link1); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(link1, link2); err != nil {
		t.Fatal(err)
	}
	if err := Check([]string{link2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link2, []byte("new")); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{link1, link2} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symlink: %v", l, err)
		}
	}
	if read(t, real) != "new" {
		t.Fatalf("target holds %q", read(t, real))
	}

	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("created.json", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("made")); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "created.json")) != "made" {
		t.Fatal("dangling link did not create its target")
	}

	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	wantErr(t, Check([]string{loop}, nil), ErrNotRegular, loop)
	wantErr(t, WriteFile(loop, nil), ErrNotRegular, loop)
	noTemps(t, dir)
}

// TestUnwritableTargets: a file without write bits (refused for root too), a missing
// folder, and (where chattr works) an immutable file and an immutable folder are found
// by Check before any work, and WriteFile leaves them unchanged.
func TestUnwritableTargets(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.snap")
	write(t, ro, "keep", 0o444)
	wantErr(t, Check([]string{ro}, nil), ErrNotWritable, ro)
	wantErr(t, WriteFile(ro, []byte("x")), ErrNotWritable, ro)
	if read(t, ro) != "keep" {
		t.Fatal("read-only file replaced")
	}
	missing := filepath.Join(dir, "no", "such", "out.json")
	wantErr(t, Check([]string{missing}, nil), ErrNotWritable, missing)
	wantErr(t, WriteFile(missing, nil), ErrNotWritable, missing)

	imm := filepath.Join(dir, "imm.snap")
	write(t, imm, "keep", 0o644)
	if err := exec.Command("chattr", "+i", imm).Run(); err != nil {
		t.Skipf("chattr +i not available here: %v", err)
	}
	defer exec.Command("chattr", "-i", imm).Run()
	wantErr(t, Check([]string{imm}, nil), ErrNotWritable, imm)
	wantErr(t, WriteFile(imm, []byte("x")), ErrNotWritable, imm)
	if read(t, imm) != "keep" {
		t.Fatal("immutable file replaced")
	}
	sub := filepath.Join(dir, "frozen")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("chattr", "+i", sub).Run(); err != nil {
		t.Fatal(err)
	}
	defer exec.Command("chattr", "-i", sub).Run()
	out := filepath.Join(sub, "out.json")
	wantErr(t, Check([]string{out}, nil), ErrNotWritable, out)
	wantErr(t, WriteFile(out, nil), ErrNotWritable, out)
	noTemps(t, dir)
}

// TestConcurrentWriters: 8 writers replacing one file with different contents, while a
// reader watches, never expose a partial file and leave one complete content and no
// temporary file.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.npz")
	content := func(w, k int) []byte {
		line := fmt.Sprintf("writer %d round %d\n", w, k)
		return bytes.Repeat([]byte(line), 4096/len(line)+w*50) // different lengths
	}
	valid := func(b []byte) bool {
		line, _, ok := bytes.Cut(b, []byte("\n"))
		var w, k int
		if !ok || len(line) == 0 {
			return false
		}
		if _, err := fmt.Sscanf(string(line), "writer %d round %d", &w, &k); err != nil {
			return false
		}
		return bytes.Equal(b, content(w, k))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	stop, readerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if b, err := os.ReadFile(p); err == nil {
				if !valid(b) {
					errs <- fmt.Errorf("reader saw a partial file of %d bytes", len(b))
					return
				}
			}
		}
	}()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 30 {
				if err := WriteFile(p, content(w, k)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-readerDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b := []byte(read(t, p)); !valid(b) {
		t.Fatalf("final file of %d bytes is not one writer's content", len(b))
	}
	noTemps(t, dir)
}

// TestFailureKeepsOldFile: an aborted write, and a commit that finds the target replaced
// by a folder, leave the old target as it was and no temporary file.
func TestFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.snap")
	write(t, p, "old", 0o644)
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half of the new")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); err != nil {
		t.Fatalf("temporary file missing while writing: %v", err)
	}
	f.Abort()
	f.Abort() // idempotent
	if _, err := f.Write([]byte("more")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after abort: %v", err)
	}
	if err := f.Commit(); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after abort: %v", err)
	}
	if read(t, p) != "old" {
		t.Fatal("aborted write changed the file")
	}
	noTemps(t, dir)

	q := filepath.Join(dir, "became-dir")
	f, err = Create(q)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("data"))
	if err := os.Mkdir(q, 0o755); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.Commit(), ErrNotRegular, q)
	if fi, err := os.Stat(q); err != nil || !fi.IsDir() {
		t.Fatal("the folder that took the target's place was replaced")
	}
	noTemps(t, dir)

	// A successful commit followed by the deferred Abort keeps the file.
	f, err = Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if read(t, p) != "new" {
		t.Fatal("Abort after Commit undid the write")
	}
	noTemps(t, dir)
}

// TestCleanStale: only this package's temporary files older than the limit are removed,
// by CleanStale and by the next Create in the folder; users' files that merely look like
// temporary files are kept.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	files := map[string]bool{ // name: removed
		".out.snap.evsim-tmp-0123456789abcdef": true,
		".x.evsim-tmp-fedcba9876543210":        true,
		".fresh.evsim-tmp-0123456789abcdef":    false, // too young
		"X.npz.tmp":                            false,
		".X.npz.tmp123456":                     false,
		".x.evsim-tmp-0123456789ABCDEF":        false, // not our hex
		".x.evsim-tmp-0123456789abcde":         false, // 15 digits
		"out.snap.evsim-tmp-0123456789abcdef":  false, // not hidden
		"results.json":                         false,
	}
	for name := range files {
		p := filepath.Join(dir, name)
		write(t, p, "x", 0o644)
		if !strings.HasPrefix(name, ".fresh") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	removed, err := CleanStale(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %v", removed)
	}
	for name, gone := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone != errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: removed = %v, want %v", name, !gone, gone)
		}
	}

	// The next write in the folder cleans up after a killed writer.
	stale := filepath.Join(dir, ".killed.evsim-tmp-00000000000000aa")
	write(t, stale, "partial", 0o600)
	os.Chtimes(stale, old, old)
	if err := WriteFile(filepath.Join(dir, "results.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("Create left a stale temporary file")
	}
	if _, err := os.Stat(filepath.Join(dir, ".fresh.evsim-tmp-0123456789abcdef")); err != nil {
		t.Fatal("Create removed a young temporary file")
	}
}

// TestTempNames: temporary names are recognised by IsTemp, unique, in the target's
// folder, and short enough for long target names.
func TestTempNames(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("n", 250))
	seen := map[string]bool{}
	for range 20 {
		f, err := Create(long)
		if err != nil {
			t.Fatal(err)
		}
		name := f.Name()
		if filepath.Dir(name) != dir || !IsTemp(filepath.Base(name)) || seen[name] {
			t.Fatalf("temporary name %s", name)
		}
		seen[name] = true
		f.Abort()
	}
	noTemps(t, dir)
}
