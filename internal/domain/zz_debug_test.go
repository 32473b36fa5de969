package domain

import (
	"context"
	"encoding/json"
	"testing"
)

func TestZZDebug(t *testing.T) {
	port := startDNS(t, dnsWorld(t))
	rdap := healthyRDAP(t)
	r := Scan(context.Background(), []string{"healthy.example.test", "chain.example.test", "takeover.example.test", "dangling.example.test", "loop.example.test", "l0.example.test", "big.example.test", "slow.example.test", "malformed.example.test", "www.lame.test", "www.gone-dns.test", "10.1.1.1"}, testConfig(port, rdap.URL))
	b, _ := json.MarshalIndent(map[string]any{"findings": r.Findings(), "rows": r.Rows(), "errors": r.Errors(), "zones": r.Zones}, "", "  ")
	t.Log(string(b))
}
