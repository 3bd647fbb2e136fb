// Package analysis turns spike counts into results.
//
// # What it owns
//
// Label assignment, classification, accuracy and confusion (labels.go); paired t-tests,
// Pearson correlation and mean/SD (stats.go); receptive fields, their 3x3 neighbourhood
// pixel variance and a tiled receptive-field image (rf.go); MATLAB-style Gaussian noise
// and Gaussian blur of uint8 images (distort.go); and PNG figures drawn with
// gonum.org/v1/plot (plot.go).
//
// # What it must not know
//
// Engines, networks, the runner, data sets or the command line: its inputs are plain
// counts, labels, weights, images and numbers, and its errors name arguments, never
// flags. It imports only the standard library, gonum and gonum/plot.
//
// # Conventions
//
// Weight matrices are input-major, W[i*nExc+j] from input pixel i (row-major 28x28) to
// neuron j. Classes are 0..9 for Evaluate and its Score (Assign and Classify take the
// number of classes). Shape mismatches and invalid parameters (a nil rng, a NaN sigma, a
// label outside the classes in Evaluate) are programmer errors and panic with an
// "analysis: " message; bad data (mismatched lengths, too few observations, NaN in a
// figure) returns one of the exported Err* sentinels, wrapped with context, for
// errors.Is. Randomness is always an explicit *rand.Rand. Files are written atomically
// (temporary file, then rename).
package analysis
