package connect

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/descriptor"
	"github.com/ecoscan/ecoscan/internal/connect/qsh"
	"github.com/ecoscan/ecoscan/internal/connect/token"
)

// recipe is how a probe's token is made (REFERENCE 3.4).
type recipe int

const (
	noToken recipe = iota
	// Forged: tokens nobody but an attacker would make. An app must refuse them all.
	randomKey           // HS256 signed with a random key
	algNone             // "alg": "none", no signature
	expiredForged       // expired, random key
	unknownIssuerForged // an issuer no installation has, random key
	contextQSHForged    // qsh "context-qsh", random key
	forgedSignedInstall // RS256 with a self-made key and a made-up kid (lifecycle)
	// Signed with a test installation's shared secret (--client-key, --shared-secret).
	validToken         // the positive control: a token the app must accept
	expiredValid       // correctly signed but expired
	unknownIssuerValid // correctly signed, but the issuer is not the installation
	wrongQSHValid      // correctly signed, qsh of another request
	contextQSHValid    // correctly signed context token on a URL-bound endpoint
	// A user's token (--user-jwt), sent to admin endpoints.
	userToken  // the token as the user gave it
	userClaims // URL-bound, signed with the shared secret, carrying the user's sub and context
)

var recipeLabels = map[recipe]string{
	noToken:             "no token",
	randomKey:           "HS256, random key",
	algNone:             "alg none",
	expiredForged:       "expired, random key",
	unknownIssuerForged: "unknown issuer, random key",
	contextQSHForged:    "qsh context-qsh, random key",
	forgedSignedInstall: "RS256, self-made key, made-up kid",
	validToken:          "valid token of the test installation",
	expiredValid:        "expired token signed with the shared secret",
	unknownIssuerValid:  "unknown issuer, signed with the shared secret",
	wrongQSHValid:       "signed with the shared secret, qsh of another request",
	contextQSHValid:     "context token (qsh context-qsh) signed with the shared secret",
	userToken:           "the non-admin user's token",
	userClaims:          "URL-bound token with the non-admin user's claims",
}

// forgedRecipes are the tokens whose acceptance means the app does not verify signatures.
var forgedRecipes = []recipe{randomKey, algNone, expiredForged, unknownIssuerForged, contextQSHForged}

// secretRecipes need the test installation's shared secret.
var secretRecipes = []recipe{validToken, expiredValid, unknownIssuerValid, wrongQSHValid, contextQSHValid}

// placement is where a probe's token travels.
type placement int

const (
	nowhere  placement = iota
	inHeader           // Authorization: JWT <token>
	inQuery            // ?jwt=<token>
)

// Probe is one request of the matrix: a token recipe and where it travels.
type Probe struct {
	recipe recipe
	where  placement
}

// Label names the probe in evidence.
func (p Probe) Label() string {
	l := recipeLabels[p.recipe]
	switch p.where {
	case inHeader:
		l += ", in header"
	case inQuery:
		l += ", in query"
	}
	return l
}

// matrix lists the probes an endpoint gets, the no-token baseline first.
func (s *scanner) matrix(e descriptor.Endpoint) []Probe {
	both := func(out []Probe, rs ...recipe) []Probe {
		for _, r := range rs {
			out = append(out, Probe{r, inHeader}, Probe{r, inQuery})
		}
		return out
	}
	probes := []Probe{{noToken, nowhere}}
	probes = both(probes, forgedRecipes...)
	if isInstallHook(e) {
		probes = append(probes, Probe{forgedSignedInstall, inHeader})
	}
	if s.forger.secret != nil {
		probes = both(probes, secretRecipes...)
	}
	if e.Admin && s.forger.user != nil {
		probes = both(probes, userToken)
		if s.forger.secret != nil {
			probes = both(probes, userClaims)
		}
	}
	return probes
}

// isInstallHook reports whether e is the installed or uninstalled lifecycle URL,
// which Atlassian signs with RS256 (signed install).
func isInstallHook(e descriptor.Endpoint) bool {
	return e.Kind == descriptor.Lifecycle && (e.Lifecycle == "installed" || e.Lifecycle == "uninstalled")
}

// forger makes the tokens of the matrix. Everything random is made once per
// scan, so that the probes of one scan are consistent.
type forger struct {
	baseURL     string
	randomKey   []byte
	rsaKey      *rsa.PrivateKey
	kid         string
	probeClient string // the clientKey of forged installs: never a real installation's
	canary      string // the shared secret a forged install offers
	clientKey   string
	secret      []byte // nil without a test installation
	user        *userJWT
	now         func() time.Time
}

// userJWT is the user's token and the claims read from it.
type userJWT struct {
	raw     string
	subject string
	context map[string]any
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// forgedInstallKey is the self-made RSA key of forged signed installs, made
// once per process: generating a 2048-bit key took most of a scan's CPU
// time in the service, and the key needs only to be one Atlassian never
// signed with (each scan still sends its own made-up kid).
var forgedInstallKey = sync.OnceValues(token.NewRSAKey)

func newForger(baseURL string, opts Options, now func() time.Time) (*forger, error) {
	key, err := forgedInstallKey()
	if err != nil {
		return nil, fmt.Errorf("make the RSA key of forged installs: %w", err)
	}
	f := &forger{
		baseURL:     baseURL,
		randomKey:   token.RandomKey(),
		rsaKey:      key,
		kid:         "ecoscan-" + randomHex(8),
		probeClient: "ecoscan-probe-" + randomHex(8),
		canary:      randomHex(24),
		clientKey:   opts.ClientKey,
		now:         now,
	}
	if opts.SharedSecret != "" {
		if opts.ClientKey == "" {
			return nil, fmt.Errorf("--shared-secret needs --client-key: the installation's clientKey is the tokens' issuer")
		}
		f.secret = []byte(opts.SharedSecret)
	}
	if opts.UserJWT != "" {
		_, claims, err := token.Decode(string(opts.UserJWT))
		if err != nil {
			return nil, fmt.Errorf("read --user-jwt: %w", err)
		}
		sub, _ := claims["sub"].(string)
		ctx, _ := claims["context"].(map[string]any)
		f.user = &userJWT{raw: string(opts.UserJWT), subject: sub, context: ctx}
	}
	return f, nil
}

// issuer is the iss of forged tokens: the test installation's clientKey when
// known (so that an app that looks the issuer up reaches the signature check),
// else the probe's own.
func (f *forger) issuer() string {
	if f.clientKey != "" {
		return f.clientKey
	}
	return f.probeClient
}

// token makes the token of recipe r for a request; "" for noToken.
func (f *forger) token(r recipe, method, target string) (string, error) {
	now := f.now()
	hash, err := qsh.Hash(method, target, f.baseURL)
	if err != nil {
		return "", fmt.Errorf("qsh of %s %s: %w", method, target, err)
	}
	c := token.Claims{Issuer: f.issuer(), QSH: hash, IssuedAt: now, ExpiresAt: now.Add(3 * time.Minute)}
	expire := func() {
		c.IssuedAt = now.Add(-2 * time.Hour)
		c.ExpiresAt = now.Add(-time.Hour)
	}
	switch r {
	case noToken:
		return "", nil
	case randomKey:
		return token.SignHS256(c, f.randomKey)
	case algNone:
		return token.SignNone(c)
	case expiredForged:
		expire()
		return token.SignHS256(c, f.randomKey)
	case unknownIssuerForged:
		c.Issuer = "ecoscan-unknown-" + randomHex(6)
		return token.SignHS256(c, f.randomKey)
	case contextQSHForged:
		c.QSH = qsh.Context
		return token.SignHS256(c, f.randomKey)
	case forgedSignedInstall:
		c.Issuer = f.probeClient
		c.Audience = f.baseURL
		return token.SignRS256(c, f.rsaKey, f.kid)
	case validToken:
		return token.SignHS256(c, f.secret)
	case expiredValid:
		expire()
		return token.SignHS256(c, f.secret)
	case unknownIssuerValid:
		c.Issuer = "ecoscan-unknown-" + randomHex(6)
		return token.SignHS256(c, f.secret)
	case wrongQSHValid:
		other, err := qsh.Hash(http.MethodGet, f.baseURL+"/ecoscan-another-request?x=1", f.baseURL)
		if err != nil {
			return "", err
		}
		c.QSH = other
		return token.SignHS256(c, f.secret)
	case contextQSHValid:
		c.QSH = qsh.Context
		return token.SignHS256(c, f.secret)
	case userToken:
		return f.user.raw, nil
	case userClaims:
		c.Subject = f.user.subject
		c.Context = f.user.context
		return token.SignHS256(c, f.secret)
	}
	return "", fmt.Errorf("unknown token recipe %d", r)
}

// body is what a POST probe sends: a plausible lifecycle or webhook payload.
// A forged install always names the probe's own clientKey, never a real
// installation's, so that a vulnerable app at worst gains a bogus installation.
func (f *forger) body(s *scanner, e descriptor.Endpoint) []byte {
	if e.Method != http.MethodPost {
		return nil
	}
	var v any
	switch e.Kind {
	case descriptor.Lifecycle:
		v = map[string]any{
			"key":            s.desc.Key,
			"clientKey":      f.probeClient,
			"sharedSecret":   f.canary,
			"serverVersion":  "100000",
			"pluginsVersion": "1001.0.0",
			"baseUrl":        "https://ecoscan-probe.invalid",
			"displayUrl":     "https://ecoscan-probe.invalid",
			"productType":    "jira",
			"description":    "ecoscan security probe",
			"eventType":      e.Lifecycle,
		}
	case descriptor.Webhook:
		v = map[string]any{"webhookEvent": e.ModuleKey, "timestamp": f.now().UnixMilli()}
	default:
		v = map[string]any{}
	}
	b, _ := json.Marshal(v)
	return b
}

// withQueryToken adds jwt=tok to a URL's query.
func withQueryToken(target, tok string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	q := u.RawQuery
	if q != "" {
		q += "&"
	}
	u.RawQuery = q + "jwt=" + url.QueryEscape(tok)
	return u.String(), nil
}
