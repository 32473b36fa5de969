package descriptor

import (
	"encoding/json"
	"testing"
)

func TestRequiresAdmin(t *testing.T) {
	for _, tc := range []struct {
		name, conditions string
		admin            bool
		reason           string
	}{
		{"none", `null`, false, ""},
		{"empty list", `[]`, false, ""},
		{"admin", `[{"condition": "user_is_admin"}]`, true, "condition user_is_admin"},
		{"sysadmin object", `{"condition": "user_is_sysadmin"}`, true, "condition user_is_sysadmin"},
		{"confluence admin", `[{"condition": "user_is_confluence_administrator"}]`, true, "condition user_is_confluence_administrator"},
		{"any case", `[{"condition": "User_Is_Admin"}]`, true, "condition user_is_admin"},
		{"logged in", `[{"condition": "user_is_logged_in"}]`, false, ""},
		{"inverted admin", `[{"condition": "user_is_admin", "invert": true}]`, false, ""},
		{"invert false", `[{"condition": "user_is_admin", "invert": false}]`, true, "condition user_is_admin"},
		{"invert as string", `[{"condition": "user_is_admin", "invert": "true"}]`, false, ""},
		{"list is and", `[{"condition": "user_is_logged_in"}, {"condition": "user_is_admin"}]`, true, "condition user_is_admin"},
		{"and", `[{"and": [{"condition": "user_is_logged_in"}, {"condition": "user_is_sysadmin"}]}]`, true, "condition user_is_sysadmin"},
		{"or of admins", `[{"or": [{"condition": "user_is_admin"}, {"condition": "user_is_sysadmin"}]}]`, true, "condition user_is_admin or user_is_sysadmin"},
		{"or with unknown", `[{"or": [{"condition": "user_is_admin"}, {"condition": "has_issue_permission"}]}]`, false, ""},
		{"or with inverted admin", `[{"or": [{"condition": "user_is_admin"}, {"condition": "user_is_sysadmin", "invert": true}]}]`, false, ""},
		{"inverted or", `[{"invert": true, "or": [{"condition": "user_is_admin", "invert": true}, {"condition": "user_is_logged_in"}]}]`, true, "condition user_is_admin"},
		{"inverted and", `[{"invert": true, "and": [{"condition": "user_is_admin", "invert": true}, {"condition": "user_is_sysadmin", "invert": true}]}]`,
			true, "condition not (not user_is_admin and not user_is_sysadmin)"},
		{"inverted unknown", `[{"condition": "user_is_logged_in", "invert": true}]`, false, ""},
		{"legacy OR", `[{"type": "OR", "conditions": [{"condition": "user_is_admin"}, {"condition": "user_is_sysadmin"}]}]`, true, "condition user_is_admin or user_is_sysadmin"},
		{"legacy and", `[{"type": "and", "conditions": [{"condition": "user_is_logged_in"}, {"condition": "user_is_admin"}]}]`, true, "condition user_is_admin"},
		{"nested", `[{"or": [{"and": [{"condition": "x"}, {"condition": "user_is_admin"}]}, {"condition": "user_is_sysadmin"}]}]`,
			true, "condition user_is_admin or user_is_sysadmin"},
		{"global permission", `[{"condition": "has_global_permission", "params": {"permission": "ADMINISTER"}}]`, true, "condition has_global_permission ADMINISTER"},
		{"other global permission", `[{"condition": "has_global_permission", "params": {"permission": "USER_PICKER"}}]`, false, ""},
		{"not a condition", `[{"foo": "bar"}, 7, "user_is_admin"]`, false, ""},
		{"and not a list", `[{"and": {"condition": "user_is_admin"}}]`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c any
			if err := json.Unmarshal([]byte(tc.conditions), &c); err != nil {
				t.Fatal(err)
			}
			admin, reason := RequiresAdmin(c)
			if admin != tc.admin || reason != tc.reason {
				t.Errorf("RequiresAdmin = %v, %q; want %v, %q", admin, reason, tc.admin, tc.reason)
			}
		})
	}
}

// TestRequiresAdminDeep: conditions built in Go deeper than any descriptor
// stop at the bound.
func TestRequiresAdminDeep(t *testing.T) {
	var c any = map[string]any{"condition": "user_is_admin"}
	for range 10_000 {
		c = []any{c}
	}
	if admin, _ := RequiresAdmin(c); admin {
		t.Error("RequiresAdmin looked deeper than its bound")
	}
}
