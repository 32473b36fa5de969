//go:build race

package manifest

// raceEnabled makes the timing tests allow for the race detector, which
// makes the YAML parser several times slower.
const raceEnabled = true
