//go:build race

package lrs_test

// raceDetector is true when the tests run with -race.
const raceDetector = true
