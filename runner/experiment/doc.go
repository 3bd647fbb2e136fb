// Package experiment holds the pipelines built from the runner's phases: the paper's
// reproduction (training chains, cells per seed and level, the report with its claims,
// figures and tables) and the sleep-parameter search on the validation split.
//
// It owns experiment bookkeeping (results folders, what may be reused, statistics across
// seeds). It must not know how an engine works inside, nor any command-line flag: errors
// name the configuration field or the file.
package experiment
