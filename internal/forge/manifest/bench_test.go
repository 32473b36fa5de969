package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// bigManifest is a large real-world-shaped manifest: n UI modules with
// resolvers sharing an anchored block, n functions, webtriggers, scopes and
// egress.
func bigManifest(n int) []byte {
	var b strings.Builder
	b.WriteString("app:\n  id: ari:cloud:ecosystem::app/bench\n  runtime:\n    name: nodejs22.x\nx-ui: &ui\n  render: native\n  resource: main\nmodules:\n  jira:issuePanel:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - key: panel-%d\n      title: Panel %d\n      <<: *ui\n      resolver:\n        function: resolver-%d\n      displayConditions:\n        isAdmin: false\n", i, i, i)
	}
	b.WriteString("  webtrigger:\n")
	for i := range n / 10 {
		fmt.Fprintf(&b, "    - key: hook-%d\n      function: resolver-%d\n      response:\n        type: dynamic\n", i, i)
	}
	b.WriteString("  function:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - key: resolver-%d\n      handler: resolvers/panel%d.handler\n", i, i)
	}
	b.WriteString("resources:\n  - key: main\n    path: static/main\npermissions:\n  scopes:\n    - read:jira-work\n    - write:jira-work\n    - storage:app\n  external:\n    fetch:\n      backend:\n        - https://api.example.com\n")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		data := bigManifest(n)
		b.Run(fmt.Sprintf("modules=%d/%dkB", n, len(data)>>10), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("manifest.yml", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
