package twostep

// messagesEN are the English words of every email and text message, and the
// durations they (and the pages) say in words. Each key has its Spanish text
// in messagesES with the same verbs in the same order.
var messagesEN = map[string]string{
	"dur.second": "1 second", "dur.seconds": "%d seconds", "dur.minute": "1 minute", "dur.minutes": "%d minutes", "dur.hour": "1 hour", "dur.hours": "%d hours",
	"dur.day": "1 day", "dur.days": "%d days",

	"msg.method.totp": "authenticator app", "msg.method.phone": "mobile phone", "msg.method.email": "email address", "msg.method.recovery": "recovery code", "msg.method.passkey": "passkey",
	"msg.role.provider": "a provider", "msg.role.admin": "a center administrator",
	"msg.time": "2 Jan 2006 15:04 MST", "msg.unknown": "unknown", "msg.browser.on": "%s on %s",

	// Codes (site, code, lifetime). The code is the only 6-digit number.
	"msg.code.sms":        "%[1]s verification code: %[2]s. It works for %[3]s. Never share it.",
	"msg.code.sms.medium": "%[1]s verification code: %[2]s. It works for %[3]s.",
	"msg.code.sms.short":  "%[1]s code: %[2]s",
	"msg.code.subject":    "%s verification code",
	"msg.code.body": "Your %s verification code is:\n\n%s\n\nIt works for %s. If you did not ask for it, someone may know your password: change it and tell your administrator.\n\n" +
		"Never share this code.",

	// Security notices (B5): the frame, then each notice's subject and sentence.
	"msg.notice.subject": "%s: %s",
	"msg.notice.body": "Hello %s,\n\n%s\n\nWhen: %s\nFrom address: %s\nBrowser: %s\n\n" +
		"If this was not you, sign in and change your password, or contact your center's administrator.\n\n— %s",
	"msg.notice.two_step_off.subject":     "2-Step Verification was turned off",
	"msg.notice.two_step_off.body":        "2-Step Verification was turned off for your account, and all your verified methods were deleted.",
	"msg.notice.method_added.subject":     "a verified method was added",
	"msg.notice.method_added.body":        "A verified method (%s: %s) was added to your account for 2-Step Verification.",
	"msg.notice.method_deleted.subject":   "a verified method was deleted",
	"msg.notice.method_deleted.body":      "A verified method (%s: %s) was deleted from your account.",
	"msg.notice.recovery_codes.subject":   "new recovery codes",
	"msg.notice.recovery_codes.body":      "New recovery codes were made for your account. Any earlier ones no longer work.",
	"msg.notice.recovery_used.subject":    "a recovery code was used",
	"msg.notice.recovery_used.body":       "A recovery code was used to sign in to your account. %d recovery codes are left.",
	"msg.notice.locked.subject":           "sign-in paused after wrong codes",
	"msg.notice.locked.body":              "After %d wrong codes, signing in to your account is paused for %s. If this was not you, change your password.",
	"msg.notice.two_step_reset.subject":   "your 2-Step Verification was reset",
	"msg.notice.two_step_reset.body":      "An administrator (%s) reset 2-Step Verification for your account. Your verified methods and recovery codes were deleted; set up a verified method at your next sign-in.",
	"msg.notice.password_changed.subject": "your password was changed",
	"msg.notice.password_changed.body":    "The password of your account was changed.",
	"msg.notice.password_reset.subject":   "your password was reset",
	"msg.notice.password_reset.body":      "The password of your account was reset with a link emailed to you. You were signed out everywhere, and every trusted browser must pass the second step again.",
	"msg.notice.passkey_added.subject":    "a passkey was added",
	"msg.notice.passkey_added.body":       "A passkey (“%s”) was added to your account. It signs you in with your fingerprint, face or screen lock.",
	"msg.notice.passkey_deleted.subject":  "a passkey was deleted",
	"msg.notice.passkey_deleted.body":     "A passkey (“%s”) was deleted from your account. It can no longer be used to sign in.",
	"msg.notice.passkey_refused.subject":  "a passkey was refused",
	"msg.notice.passkey_refused.body":     "Your passkey “%s” answered with a signature counter lower than before, which happens when a passkey was copied to another device. It was refused. If you did not just restore that device from a backup, delete the passkey and tell your administrator.",

	// Password reset (username, site, link, lifetime).
	"msg.reset.subject": "%s: choose a new password",
	"msg.reset.body": "Hello %[1]s,\n\nSomeone, we hope you, asked to reset the password of your %[2]s account (%[1]s). To choose a new password, open this link:\n\n%[3]s\n\n" +
		"It works once, for %[4]s. If 2-Step Verification is on for you, you will confirm it is you with your second step first.\n\n" +
		"If you did not ask for this, ignore this email: your password stays as it is.\n\n— %[2]s",
	"msg.reset.button": "Choose a new password",

	// Invitation (username, inviter, site, role, center, link, lifetime).
	"msg.invite.subject": "%s: you are invited",
	"msg.invite.body": "Hello %[1]s,\n\n%[2]s invited you to %[3]s as %[4]s of %[5]s. Your username is %[1]s. To choose your password and start using your account, open this link:\n\n%[6]s\n\n" +
		"It works once, for %[7]s.\n\nIf you did not expect this invitation, ignore this email.\n\n— %[3]s",
	"msg.invite.button": "Choose your password",
}
