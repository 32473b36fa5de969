package token

import (
	"fmt"
	"log/slog"
)

// Secret is a shared secret (an installation's sharedSecret, a signing key)
// kept in a config struct. It prints as "<redacted>" with every fmt verb and
// in JSON, text and slog output, so that a config dumped to a log or a report
// does not leak it. string(s) and []byte(s) give the value.
//
// fmt cannot call methods on unexported struct fields: a Secret in an
// unexported field prints in full when the struct is printed with %v. Keep
// Secrets in exported fields, or do not print the struct.
//
// Marshalling is one way: a config written with json.Marshal holds
// "<redacted>", not the secret.
type Secret string

const redacted = "<redacted>"

// String returns "<redacted>".
func (Secret) String() string { return redacted }

// GoString returns "<redacted>", for %#v.
func (Secret) GoString() string { return redacted }

// Format prints "<redacted>" whatever the verb and flags.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText returns "<redacted>".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON returns the JSON string "<redacted>".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue returns "<redacted>", for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
