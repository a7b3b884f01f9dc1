package function

import (
	"crypto/rand"
	"encoding/hex"
)

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
