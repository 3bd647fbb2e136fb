package analysis

import "errors"

// Errors returned for bad input data. They are wrapped with context (which series,
// which lengths) by fmt.Errorf's %w, so test for them with errors.Is.
var (
	// ErrLength: two slices that must be paired have different lengths.
	ErrLength = errors.New("analysis: lengths differ")
	// ErrTooFew: fewer observations than the computation needs.
	ErrTooFew = errors.New("analysis: too few observations")
	// ErrZeroVariance: a variable is constant, so a correlation is undefined.
	ErrZeroVariance = errors.New("analysis: zero variance")
	// ErrNoData: a figure or image has nothing to draw.
	ErrNoData = errors.New("analysis: no data")
	// ErrNonFinite: a value to be drawn is NaN or ±Inf.
	ErrNonFinite = errors.New("analysis: NaN or infinite value")
	// ErrNegativeSD: an error-bar half-width is negative.
	ErrNegativeSD = errors.New("analysis: negative standard deviation")
	// ErrScale: an image scale factor is below 1 or makes the image too large.
	ErrScale = errors.New("analysis: bad image scale")
	// ErrRender: gonum/plot failed (or panicked) while drawing a figure.
	ErrRender = errors.New("analysis: rendering failed")
)
