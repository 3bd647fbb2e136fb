// Package analysis turns spike counts into results: label assignment, classification,
// accuracy and confusion, and (later) statistics, receptive fields and figures.
//
// It must not know about engines or the runner: its inputs are plain counts and labels.
package analysis
