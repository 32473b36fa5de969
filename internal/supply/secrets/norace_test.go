//go:build !race

package secrets

// raceEnabled makes the slowest tests do less under the race detector,
// which makes gitleaks' regular expressions many times slower.
const raceEnabled = false
