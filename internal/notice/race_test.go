//go:build race

package notice

// raceEnabled: the race detector slows allocation far more than scanning,
// so it distorts the timing ratios TestWorstCaseRatio measures.
const raceEnabled = true
