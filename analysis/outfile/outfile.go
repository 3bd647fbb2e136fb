// Package outfile writes result files so that a run cannot destroy data it was given or
// wrote earlier: Check validates every output of a run before the work starts, and
// WriteFile and Create/Commit write a file atomically.
//
// The rules, in words a command's help can repeat:
//
//   - An output is a regular file or does not exist yet. A directory, a device (such as
//     /dev/null), a FIFO or a socket is refused.
//   - An output is never the same file as an input or as another output of the same run.
//     Files are compared by device and inode, so a hard link, a symlink or another
//     spelling of the same path is caught; paths that do not exist yet are compared
//     after resolving symlinks.
//   - A symlink output is written through: the file at the end of the link chain is
//     replaced and the link itself is kept. A dangling link creates its target.
//   - An existing output must be writable: a file without any write permission bit is
//     refused even for root, as is an immutable or append-only file (chattr +i, +a),
//     and the output's folder must accept a new file. Check finds all of this before
//     any work is done.
//   - A file is written to a temporary file in the output's folder, named
//     .NAME.evsim-tmp-XXXXXXXXXXXXXXXX (16 random hex digits), synced, and renamed over
//     the output, so a reader sees either the old file or the complete new one. The
//     temporary file is removed on every failure. One that a killed process left
//     behind is removed by the next Create in that folder once it is older than
//     StaleAge (see CleanStale).
//   - A new file gets mode 0644; a replaced file keeps its permission bits.
//
// Every error is an *Error whose Kind is one of the sentinels below, so callers can
// test with errors.Is; its message names the path and how to fix the problem.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors, the Kind of every *Error.
var (
	// ErrNotRegular: the output exists and is not a regular file (directory, device,
	// FIFO, socket), or a symlink chain does not end.
	ErrNotRegular = errors.New("not a regular file")
	// ErrSameFile: the output is an input or another output of the same run.
	ErrSameFile = errors.New("output is the same file as another input or output")
	// ErrNotWritable: the output or its folder cannot be written (missing folder,
	// permissions, read-only or immutable file, read-only file system).
	ErrNotWritable = errors.New("cannot be written")
	// ErrClosed: Write or Commit on a File that was already committed or aborted.
	ErrClosed = errors.New("file already committed or aborted")
)

// StaleAge is the age beyond which Create removes temporary files of this package that
// a killed process left behind in the output's folder.
const StaleAge = time.Hour

// tmpInfix marks this package's temporary files: "." + name + tmpInfix + 16 hex digits.
const tmpInfix = ".evsim-tmp-"

// maxLinks bounds a symlink chain, as the kernel does (ELOOP after 40).
const maxLinks = 40

// Error describes an output that cannot or must not be written.
type Error struct {
	Path string // the output as given
	Kind error  // one of the Err* sentinels
	Msg  string // what is wrong
	Fix  string // what to do about it; may be empty
	Err  error  // underlying cause, may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("outfile: ")
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap exposes both the sentinel kind and the underlying cause.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Check validates the outputs of a run before it starts: each must be allowed by the
// rules in the package documentation, and no output may be the same file as an input
// or another output. Empty strings in either list are ignored (an option not given).
// Inputs that cannot be resolved or do not exist are compared by path only: reporting
// them is the reader's business. Check creates and removes one temporary file in each
// output's folder and changes nothing else.
func Check(outputs, inputs []string) error {
	type file struct {
		path, target string
		fi           fs.FileInfo // nil if it does not exist
	}
	same := func(a, b file) bool {
		if a.fi != nil && b.fi != nil {
			return os.SameFile(a.fi, b.fi)
		}
		return a.target != "" && a.target == b.target
	}
	var ins []file
	for _, p := range inputs {
		if p == "" {
			continue
		}
		f := file{path: p}
		if t, err := resolve(p); err == nil {
			f.target = t
		} else if abs, err := filepath.Abs(p); err == nil {
			f.target = abs
		}
		if fi, err := os.Stat(p); err == nil {
			f.fi = fi
		}
		ins = append(ins, f)
	}
	var outs []file
	for _, p := range outputs {
		if p == "" {
			continue
		}
		t, fi, err := checkTarget(p, true)
		if err != nil {
			return err
		}
		o := file{path: p, target: t, fi: fi}
		for _, in := range ins {
			if same(o, in) {
				return &Error{Path: p, Kind: ErrSameFile, Msg: "is the input " + in.path,
					Fix: "writing it would destroy the input; choose another output path"}
			}
		}
		for _, prev := range outs {
			if same(o, prev) {
				return &Error{Path: p, Kind: ErrSameFile, Msg: "is also the output " + prev.path,
					Fix: "one output would overwrite the other; give each output its own path"}
			}
		}
		outs = append(outs, o)
	}
	return nil
}

// resolve returns the absolute path of the file that writing path would replace or
// create: symlinks are followed to the end of the chain (also a dangling one), and the
// folder is resolved fully.
func resolve(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", &Error{Path: path, Kind: ErrNotWritable, Msg: "cannot make the path absolute", Err: err}
	}
	for hops := 0; ; hops++ {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", &Error{Path: path, Kind: ErrNotWritable, Msg: "cannot inspect", Err: err,
				Fix: "check that every folder on the path exists and is a folder"}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		if hops == maxLinks {
			return "", &Error{Path: path, Kind: ErrNotRegular, Msg: fmt.Sprintf("more than %d levels of symbolic links", maxLinks),
				Fix: "the link chain is circular or too long; point the output at a regular file"}
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", &Error{Path: path, Kind: ErrNotWritable, Msg: "cannot read the symbolic link", Err: err}
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return "", &Error{Path: path, Kind: ErrNotWritable, Msg: "folder " + filepath.Dir(p) + " does not exist", Err: err,
			Fix: "create the folder first or choose another path"}
	}
	return filepath.Join(dir, filepath.Base(p)), nil
}

// checkTarget resolves path and checks the rules for one output; with probe it also
// checks that the folder accepts a new file. It returns the resolved target and its
// FileInfo (nil if it does not exist yet).
func checkTarget(path string, probe bool) (string, fs.FileInfo, error) {
	if path == "" {
		return "", nil, &Error{Path: `""`, Kind: ErrNotWritable, Msg: "empty output path"}
	}
	t, err := resolve(path)
	if err != nil {
		return "", nil, err
	}
	name := path
	if abs, _ := filepath.Abs(path); abs != t {
		name = path + " (" + t + ")" // through a symlink
	}
	fi, err := os.Lstat(t)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	case err != nil:
		return "", nil, &Error{Path: name, Kind: ErrNotWritable, Msg: "cannot inspect", Err: err}
	case !fi.Mode().IsRegular():
		return "", nil, &Error{Path: name, Kind: ErrNotRegular, Msg: "is " + Describe(fi.Mode()) + ", not a regular file",
			Fix: "an output must be a regular file or a new path; choose another path"}
	case fi.Mode().Perm()&0o222 == 0:
		return "", nil, &Error{Path: name, Kind: ErrNotWritable, Msg: fmt.Sprintf("is read-only (mode %04o)", fi.Mode().Perm()),
			Fix: "make it writable (chmod u+w) or choose another path"}
	default:
		// Opening for writing without O_TRUNC changes nothing, and fails for an
		// immutable or append-only file even for root. O_NONBLOCK: should the file have
		// become a FIFO since the Lstat, the open must not wait for a reader.
		f, err := os.OpenFile(t, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return "", nil, &Error{Path: name, Kind: ErrNotWritable, Msg: "cannot be opened for writing", Err: err,
				Fix: "check its permissions and attributes (lsattr; chattr -i clears immutable) or choose another path"}
		}
		f.Close()
	}
	if probe {
		f, err := createTemp(filepath.Dir(t), filepath.Base(t))
		if err != nil {
			return "", nil, &Error{Path: name, Kind: ErrNotWritable, Msg: "folder " + filepath.Dir(t) + " does not accept new files", Err: err,
				Fix: "check the folder's permissions and free space, or choose another folder"}
		}
		f.Close()
		os.Remove(f.Name())
	}
	return t, fi, nil
}

// Describe names a file mode in words ("a FIFO", "a character device"), for messages
// that refuse a file that is not a regular one.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file (" + m.String() + ")"
}

// createTemp creates a new temporary file for target name base in dir, mode 0600.
func createTemp(dir, base string) (*os.File, error) {
	if len(base) > 100 { // keep the temporary name within NAME_MAX
		base = base[:100]
	}
	for range 1000 {
		name := filepath.Join(dir, fmt.Sprintf(".%s%s%016x", base, tmpInfix, rand.Uint64()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("outfile: no unused temporary name")
}

// IsTemp reports whether name (a base name) is one of this package's temporary files.
func IsTemp(name string) bool {
	i := strings.LastIndex(name, tmpInfix)
	if i < 1 || name[0] != '.' {
		return false
	}
	hex := name[i+len(tmpInfix):]
	if len(hex) != 16 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CleanStale removes this package's temporary files in dir (see IsTemp) that are
// regular files last modified more than olderThan ago, and returns the paths removed.
// Other files are never touched. A file still being written is modified continually
// and so is not stale. Errors from individual removals are joined.
func CleanStale(dir string, olderThan time.Duration) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var errs []error
	for _, e := range entries {
		if !IsTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= olderThan {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// File is an output being written: a temporary file that Commit renames over the
// output and Abort removes. Use it as
//
//	f, err := outfile.Create(path)
//	if err != nil { ... }
//	defer f.Abort() // no-op after a successful Commit
//	... write to f ...
//	return f.Commit()
type File struct {
	path   string // as given
	target string // the resolved file Commit replaces
	f      *os.File
	done   bool
}

// Create checks path by the rules in the package documentation (not the folder probe
// nor the comparison with inputs, which are Check's), removes stale temporary files in
// its folder, and opens a new temporary file beside the resolved target.
func Create(path string) (*File, error) {
	t, fi, err := checkTarget(path, false)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(t)
	CleanStale(dir, StaleAge) // best effort: a failure here does not stop the write
	perm := fs.FileMode(0o644)
	if fi != nil {
		perm = fi.Mode().Perm()
	}
	f, err := createTemp(dir, filepath.Base(t))
	if err != nil {
		return nil, &Error{Path: path, Kind: ErrNotWritable, Msg: "cannot create a temporary file in " + dir, Err: err,
			Fix: "check the folder's permissions and free space, or choose another folder"}
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, &Error{Path: path, Kind: ErrNotWritable, Msg: "cannot set the mode of " + f.Name(), Err: err}
	}
	return &File{path: path, target: t, f: f}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, &Error{Path: f.path, Kind: ErrClosed, Msg: "write after commit or abort"}
	}
	n, err := f.f.Write(p)
	if err != nil {
		return n, &Error{Path: f.path, Kind: ErrNotWritable, Msg: "writing " + f.f.Name(), Err: err}
	}
	return n, nil
}

// Name returns the path of the temporary file.
func (f *File) Name() string { return f.f.Name() }

// Commit syncs the temporary file and renames it over the output, then syncs the
// folder. On failure the temporary file is removed and the output is left as it was.
func (f *File) Commit() (err error) {
	if f.done {
		return &Error{Path: f.path, Kind: ErrClosed, Msg: "commit after commit or abort"}
	}
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	fail := func(msg string, err error) error {
		return &Error{Path: f.path, Kind: ErrNotWritable, Msg: msg, Err: err}
	}
	if err := f.f.Sync(); err != nil {
		return fail("syncing "+f.f.Name(), err)
	}
	if err := f.f.Close(); err != nil {
		return fail("closing "+f.f.Name(), err)
	}
	// The target may have changed since Create: never rename over anything but a
	// regular file.
	if fi, err := os.Lstat(f.target); err == nil && !fi.Mode().IsRegular() {
		return &Error{Path: f.path, Kind: ErrNotRegular, Msg: f.target + " became " + Describe(fi.Mode()) + " while it was written",
			Fix: "an output must be a regular file or a new path; choose another path"}
	}
	if err := os.Rename(f.f.Name(), f.target); err != nil {
		return fail("renaming "+f.f.Name()+" to "+f.target, err)
	}
	f.done = true
	if d, err := os.Open(filepath.Dir(f.target)); err == nil {
		d.Sync() // best effort: some file systems cannot sync a folder
		d.Close()
	}
	return nil
}

// Abort removes the temporary file and leaves the output as it was. It is a no-op after
// Commit or a previous Abort, so it can always be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// WriteFile writes data to path atomically by the rules in the package documentation.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}
