package twostep

// staffCenter is the 2SV policy of account managers (B24). They belong to no
// center, but 2-Step Verification works for them as in a center where it is
// available (every method type allowed, the portal's grace logins) and, unless
// the portal is told otherwise, required. Its ID is 0 and its name empty.
func (s *Service) staffCenter() *Center {
	return &Center{TwoStepAvailable: true, TwoStepRequired: s.set.StaffTwoStepRequired, GraceLogins: -1, TrustedBrowserDays: DefaultTrustedBrowserDays}
}

// policyCenter returns the center whose 2SV rules apply to u: their own, or
// the account managers' policy.
func (s *Service) policyCenter(u *User, c *Center) *Center {
	if c == nil && u != nil && u.Role == RoleStaff {
		return s.staffCenter()
	}
	return c
}

// IsStaffPolicy reports whether c is the account managers' policy rather than a center.
func (c *Center) IsStaffPolicy() bool { return c != nil && c.ID == 0 }
