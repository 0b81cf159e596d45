package store

import (
	"fmt"

	"github.com/providerportal/portal/internal/twostep"
)

// A statement is one the portal runs on every sign-in or request, or
// periodically (the outbox dispatcher, the sweeper). TestStatementsUseIndexes
// runs EXPLAIN on each, on SQLite and PostgreSQL, and fails when one reads a
// whole table that grows: the cost of each must not grow with the history.
type statement struct {
	Name string
	SQL  string // the constant the store runs, with ? placeholders
}

// hotStatements lists the statements of kind ("sqlite" or "postgres") that
// must use an index. A new table's statements are added here, one line each;
// its purge statement is checked through purgeJobs without a line here.
func hotStatements(kind string) []statement {
	list := []statement{
		// sign-in: password step
		{"hit two throttles", qHitThrottleTwo},
		{"settle throttles", qSettleThrottles},
		{"undo throttle hit", qUndoThrottleHit},
		{"reset throttle", qResetThrottle},
		{"user and center by username", qUserAndCenter},
		{"user by username", qUserByUsername},
		{"user by id", qUserByID},
		{"password still the same", passwordStillSQL(kind)},
		{"users by username or email (reset requests)", qUsersByLogin},
		{"methods and passkeys of a user", qMethodsAndPasskeys},
		{"one method", qMethod},
		{"use a grace login", qUseGraceLogin},
		{"create session", qCreateSession},
		// every request
		{"session with user", qSessionWithUser},
		{"session by hash", qSessionByHash},
		{"touch session", qTouchSession},
		{"update session", qUpdateSession},
		{"rotate session", qRotateSession},
		{"delete session", qDeleteSession},
		{"delete a user's other sessions", qDeleteUserSessions},
		{"revoke a user's app grants", qRevokeUserGrants},
		{"list a user's sessions", qListSessions},
		// second step
		{"reserve second-step attempt", qReserveAttempt},
		{"release second-step attempt", qReleaseAttempt},
		{"lock second step", qLockSecondStep},
		{"reset second-step failures", qResetFailures},
		{"locked until", qLockedUntil},
		{"accept TOTP step", qAcceptTOTPStep},
		{"hit one throttle (send caps)", qHitThrottleOne},
		{"issue code", qIssueCode},
		{"code created", qCodeCreated},
		{"consume code", qConsumeCode},
		{"spend code try", qSpendCodeTry},
		{"code state", qCodeState},
		{"code info", qCodeInfo},
		{"use recovery code", qUseRecoveryCode},
		{"count recovery codes", qCountRecovery},
		{"any recovery codes", qAnyRecovery},
		{"add audit event", qAddAudit},
		// admin pages
		{"list a center's users", qListUsers},
		{"list account managers", qListStaff},
		{"method types of a center", qMethodTypesByCenter},
		// outbox dispatcher, every poll
		{"enqueue message", qEnqueue},
		{"is a message due", qOutboxDue},
		{"claim outbox", claimOutboxSQL(kind)},
		{"mark sent", qMarkSent},
		{"mark retry", qMarkRetry},
		{"mark failed", qMarkFailed},
		{"give up on late messages", qExpireOutbox},
		{"erase message text", qEraseOutbox},
		{"release leases", qReleaseLeases},
		// forgotten passwords, invitations, trusted browsers (B21–B23)
		{"any reset request waiting (every few seconds)", qAnyResetRequest},
		{"take reset requests", takeResetsSQL(kind)},
		{"a reset link's user", qResetUser},
		{"use a reset link", qUseReset},
		{"an invitation by its link", qInvitationByHash},
		{"accept an invitation", qAcceptInvitation},
		{"use a trusted browser", useTrustedSQL("?")},
		{"list trusted browsers", qTrustedBrowsers},
		// passkeys (B19)
		{"a user's passkeys", qPasskeys},
		{"a passkey's owner by credential", qPasskeyOwner},
		{"use a passkey", qUsePasskey},
		{"put a passkey challenge", qPutPasskeyChallenge},
		{"take a passkey challenge", qTakePasskeyChallenge},
		// apps signing in through the portal (B20)
		{"auth request by id", qAuthRequestByID},
		{"auth request by code", qAuthRequestByCode},
		{"complete an auth request", qCompleteAuthReq},
		{"set an auth code", qSetAuthCode},
		{"redeem an auth code", qRedeemAuthCode},
		{"token with its grant and person", qTokenGrant},
		{"use a refresh token", qUseRefreshToken},
		{"revoke a grant", qRevokeGrant},
		// the domain's sweeps of what expires (run by the sweeper, in batches)
		{"purge reset links", qPurgeResets},
		{"purge invitations", qPurgeInvitations},
		{"purge trusted browsers", qPurgeTrustedBrowser},
		{"purge app requests", qPurgeAuthRequests},
		{"purge app tokens", qPurgeAppTokens},
		{"purge app grants", qPurgeAppGrants},
		{"purge retired signing keys", qPurgeSigningKeys},
		{"purge passkey challenges", qPurgePasskeyChallenges},
	}
	// The audit log's listing: a center's (what its admins read), filtered
	// by person and kind as its pages combine them, and every center's
	// newest page. An account manager's search across every center by
	// person or kind is not here: it reads the log newest first through the
	// primary key until a page is full, quick for common kinds and people,
	// slow for a rare one in a huge log (narrow it to a center; the retention
	// keeps the log bounded). An index per filter for it would cost every
	// sign-in more index writes.
	list = append(list, statement{"list audit (every center)", mustAuditQuery(twostep.AuditFilter{Limit: 50})})
	for _, person := range []string{"", "jdoe"} {
		for _, kinds := range [][]string{nil, {"login_ok", "login_failed"}} {
			q := mustAuditQuery(twostep.AuditFilter{CenterID: 1, Person: person, Actions: kinds, Limit: 50})
			list = append(list, statement{fmt.Sprintf("list audit (a center, person %v, kinds %v)", person != "", kinds != nil), q})
		}
	}
	for _, j := range purgeJobs(Retention{}) {
		list = append(list, statement{"purge " + j.Name, j.SQL})
	}
	return list
}

func mustAuditQuery(f twostep.AuditFilter) string {
	q, _ := auditQuery(f)
	return q
}

// smallTable reports whether a table does not grow with use (one row per
// center, app, signing key or setting; reset_requests is a queue drained every
// few seconds): a statement may read it whole.
func smallTable(name string) bool {
	switch name {
	case "centers", "meta", "schema_migrations", "apps", "app_hosts", "signing_keys", "reset_requests":
		return true
	}
	return false
}
