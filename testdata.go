// Package docflow holds the fixture case, embedded so that `docflow demo`
// works from any directory. The code lives under internal/ and cmd/.
package docflow

import "embed"

// Fixtures holds testdata/jingan-2025-17: a real final notice (report.txt),
// an opinion written to match it and an assignment plan.
//
//go:embed testdata/jingan-2025-17
var Fixtures embed.FS

// FixtureCase is the directory of the fixture case inside Fixtures.
const FixtureCase = "testdata/jingan-2025-17"
