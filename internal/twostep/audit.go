package twostep

import (
	"context"
	"slices"
)

// AuditKind groups audit actions for people reading the log (filters).
type AuditKind string

// Kinds of audit events.
const (
	KindSignIn  AuditKind = "sign_in"  // signing in and out, second steps, lockouts, password re-checks
	KindTwoStep AuditKind = "two_step" // 2SV on/off, methods, recovery codes, resets
	KindAccount AuditKind = "account"  // passwords, sessions, people created or invited
	KindCenter  AuditKind = "center"   // centers, beta, policy, apps
)

// AuditKinds lists the kinds in display order.
var AuditKinds = []AuditKind{KindSignIn, KindTwoStep, KindAccount, KindCenter}

// auditActions are the actions of each kind. An action missing here is shown
// under no filter but "all".
var auditActions = map[AuditKind][]string{
	KindSignIn: {"login_ok", "login_password_ok", "login_failed", "second_step_ok", "second_step_failed", "locked", "logout",
		"reauth_failed", "passkey_login_ok", "passkey_login_failed", "passkey_login_unknown", "trusted_browser_used", "app_sign_in", "app_refused",
		"app_two_step_needed"},
	KindTwoStep: {"two_step_on", "two_step_off", "method_added", "method_deleted", "recovery_codes_generated", "two_step_reset",
		"passkey_added", "passkey_deleted", "passkey_counter_regressed", "trusted_browser_added", "trusted_browser_removed"},
	KindAccount: {"password_changed", "password_reset", "password_reset_requested", "password_reset_started", "sessions_revoked", "user_created",
		"invitation_sent", "invitation_resent", "invitation_revoked", "invitation_accepted"},
	KindCenter: {"center_created", "beta_changed", "policy_changed", "app_created", "app_deleted", "signing_key_rotated"},
}

// KindOf is the kind of an audit action ("" when it has none).
func KindOf(action string) AuditKind {
	for k, actions := range auditActions {
		if slices.Contains(actions, action) {
			return k
		}
	}
	return ""
}

// AuditQuery selects audit events. Zero fields select everything.
type AuditQuery struct {
	CenterID int64     // account managers: one center (0: all); admins: ignored (their own)
	Person   string    // events where this username is the actor or the target
	Kind     AuditKind // events of this kind
	Limit    int       // 1–1000 (default 100)
	BeforeID int64     // older than this event (paging)
}

// AuditFilter is what the store needs to list events.
type AuditFilter struct {
	CenterID int64 // 0: every center
	Person   string
	Actions  []string // nil: any action
	Limit    int
	BeforeID int64
}

// AuditLog returns audit events newest first (B6): a center admin sees their
// center's, an account manager everyone's or one center's. Errors: forbidden,
// invalid_request (unknown kind).
func (s *Service) AuditLog(ctx context.Context, actor *User, q AuditQuery) ([]AuditEvent, error) {
	f := AuditFilter{CenterID: q.CenterID, Person: q.Person, Limit: q.Limit, BeforeID: q.BeforeID}
	switch actor.Role {
	case RoleAdmin:
		f.CenterID = actor.CenterID
	case RoleStaff:
	default:
		return nil, Errorf(EForbidden, "Only administrators read the audit log.")
	}
	if q.Kind != "" {
		actions, ok := auditActions[q.Kind]
		if !ok {
			return nil, FieldError(EInvalid, "kind", "Unknown kind of event (use sign_in, two_step, account or center).")
		}
		f.Actions = actions
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if len(f.Person) > 254 || !isCleanText(f.Person) {
		return []AuditEvent{}, nil
	}
	return s.store.ListAudit(ctx, f)
}
