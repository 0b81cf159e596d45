package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

const userCols = "id, COALESCE(center_id, 0), username, email, role, password_hash, two_step_on, grace_logins_used, created_at, language"

// The users' statements: a sign-in reads its user and center by the username.
const (
	qUserByID       = "SELECT " + userCols + " FROM users WHERE id = ?"
	qUserByUsername = "SELECT " + userCols + " FROM users WHERE username_key = ?"
	qUsersByLogin   = "SELECT " + userCols + " FROM users WHERE username_key = ? OR lower(email) = lower(?) ORDER BY id LIMIT ?"
	qUserAndCenter  = "SELECT u.id, COALESCE(u.center_id, 0), u.username, u.email, u.role, u.password_hash, u.two_step_on, u.grace_logins_used, u.created_at, u.language, " +
		centerJoinCols + " FROM users u LEFT JOIN centers c ON c.id = u.center_id WHERE u.username_key = ?"
	qListUsers           = "SELECT " + userCols + " FROM users WHERE center_id = ? ORDER BY username_key"
	qListStaff           = "SELECT " + userCols + " FROM users WHERE center_id IS NULL ORDER BY username_key"
	qUseGraceLogin       = "UPDATE users SET grace_logins_used = grace_logins_used + 1 WHERE id = ? AND grace_logins_used < ? RETURNING grace_logins_used"
	qMethodTypesByCenter = `SELECT m.user_id, m.type FROM methods m JOIN users u ON u.id = m.user_id
		WHERE u.center_id = ? AND m.verified_at IS NOT NULL
		UNION SELECT p.user_id, 'passkey' FROM passkeys p JOIN users u ON u.id = p.user_id WHERE u.center_id = ?`
	qPasswordStill   = "SELECT 1 FROM users WHERE id = ? AND password_hash = ?"
	qPasswordStillPG = qPasswordStill + " FOR NO KEY UPDATE"
)

// passwordStillSQL is PasswordStill's statement for kind.
func passwordStillSQL(kind string) string {
	if kind == "postgres" {
		return qPasswordStillPG
	}
	return qPasswordStill
}

func scanUser(row interface{ Scan(...any) error }) (*twostep.User, error) {
	var u twostep.User
	var role string
	var created int64
	if err := row.Scan(&u.ID, &u.CenterID, &u.Username, &u.Email, &role, &u.PasswordHash, &u.TwoStepOn, &u.GraceLoginsUsed, &created, &u.Language); err != nil {
		return nil, notFound(err)
	}
	u.Role = twostep.Role(role)
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// CreateUser inserts u and sets its ID. Usernames are unique case-insensitively,
// and one reserved by a pending invitation (at u.CreatedAt) is taken too.
func (s *Store) CreateUser(ctx context.Context, u *twostep.User) error {
	return s.tx(ctx, func(t *sqlTx) error {
		if err := lockUsernames(ctx, t); err != nil {
			return err
		}
		var pending int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM invitations WHERE username_key = ? AND expires_at > ?",
			strings.ToLower(u.Username), ms(u.CreatedAt)).Scan(&pending); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if pending > 0 {
			return twostep.ErrDuplicate
		}
		return insertUser(ctx, t, u)
	})
}

// lockUsernames serialises the writes that give out usernames (users and
// invitations) until the transaction ends: checking the other table and
// inserting is then one step, on SQLite and on PostgreSQL alike.
func lockUsernames(ctx context.Context, t *sqlTx) error {
	if _, err := t.exec(ctx, "UPDATE meta SET value = value WHERE key = 'usernames'"); err != nil {
		return fmt.Errorf("lock usernames: %w", err)
	}
	return nil
}

func insertUser(ctx context.Context, t *sqlTx, u *twostep.User) error {
	var center any
	if u.CenterID != 0 {
		center = u.CenterID
	}
	err := t.queryRow(ctx, `INSERT INTO users (center_id, username, username_key, email, role, password_hash, two_step_on, grace_logins_used, created_at, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		center, u.Username, strings.ToLower(u.Username), u.Email, string(u.Role), u.PasswordHash, u.TwoStepOn, u.GraceLoginsUsed, ms(u.CreatedAt), u.Language).Scan(&u.ID)
	if isUnique(err) {
		return twostep.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// SetLanguage records the page language the user last used.
func (s *Store) SetLanguage(ctx context.Context, userID int64, lang string) error {
	return s.updateUser(ctx, "UPDATE users SET language = ? WHERE id = ?", lang, userID)
}

// UsersByLogin returns up to limit users whose username or email address is
// login, case-insensitively, by id.
func (s *Store) UsersByLogin(ctx context.Context, login string, limit int) ([]twostep.User, error) {
	rows, err := s.query(ctx, qUsersByLogin,
		strings.ToLower(login), login, limit)
	if err != nil {
		return nil, fmt.Errorf("users by login: %w", err)
	}
	defer rows.Close()
	var out []twostep.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UserByID returns a user or twostep.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*twostep.User, error) {
	return scanUser(s.queryRow(ctx, qUserByID, id))
}

// UserByUsername returns a user by username, case-insensitively.
func (s *Store) UserByUsername(ctx context.Context, username string) (*twostep.User, error) {
	return scanUser(s.queryRow(ctx, qUserByUsername, strings.ToLower(username)))
}

// ListUsers returns the users of a center (0: account managers) by username.
func (s *Store) ListUsers(ctx context.Context, centerID int64) ([]twostep.User, error) {
	q, args := qListUsers, []any{centerID}
	if centerID == 0 {
		q, args = qListStaff, nil
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []twostep.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// CountUsers counts every user.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

func (s *Store) updateUser(ctx context.Context, q string, args ...any) error {
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}

// PasswordStill reports whether the user's password hash is still hash, and on
// PostgreSQL locks the user's row until the transaction ends (FOR NO KEY
// UPDATE: the strength of the sign-in's own later update of the row, so two
// sign-ins of one person queue instead of deadlocking on a lock upgrade, and
// foreign-key checks still pass):
// a password change (which updates the row) waits for a sign-in that checked the
// old password to finish creating its session, then ends it; a sign-in that
// comes after the change sees the new hash and creates nothing.
func (s *Store) PasswordStill(ctx context.Context, userID int64, hash string) (bool, error) {
	var one int
	err := s.rowOn(ctx, s.w, passwordStillSQL(s.kind), userID, hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check password hash: %w", err)
	}
	return true, nil
}

// SetPasswordHash replaces the user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	return s.updateUser(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID)
}

// SetTwoStepOn turns the user's 2SV flag on or off (methods are left alone).
func (s *Store) SetTwoStepOn(ctx context.Context, userID int64, on bool) error {
	return s.updateUser(ctx, "UPDATE users SET two_step_on = ? WHERE id = ?", on, userID)
}

// TurnTwoStepOff turns 2SV off and deletes all methods (passkeys too), pending
// codes and recovery codes.
func (s *Store) TurnTwoStepOff(ctx context.Context, userID int64) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		res, err := tx.exec(ctx, "UPDATE users SET two_step_on = FALSE WHERE id = ?", userID)
		if err != nil {
			return fmt.Errorf("turn off 2SV: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return twostep.ErrNotFound
		}
		for _, q := range []string{
			"DELETE FROM methods WHERE user_id = ?",
			"DELETE FROM codes WHERE user_id = ?",
			"DELETE FROM recovery_codes WHERE user_id = ?",
			"DELETE FROM passkeys WHERE user_id = ?",
		} {
			if _, err := tx.exec(ctx, q, userID); err != nil {
				return fmt.Errorf("turn off 2SV: %w", err)
			}
		}
		return nil
	})
}

// UseGraceLogin spends one grace login with a single conditional update.
func (s *Store) UseGraceLogin(ctx context.Context, userID int64, limit int) (int, bool, error) {
	var used int
	err := s.writeRow(ctx, qUseGraceLogin, userID, limit).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("use grace login: %w", err)
	}
	return used, true, nil
}

// SetGraceLoginsUsed sets the count of grace logins used.
func (s *Store) SetGraceLoginsUsed(ctx context.Context, userID int64, used int) error {
	return s.updateUser(ctx, "UPDATE users SET grace_logins_used = ? WHERE id = ?", used, userID)
}

// MethodTypesByCenter returns the verified method types of each user of a center.
func (s *Store) MethodTypesByCenter(ctx context.Context, centerID int64) (map[int64][]twostep.MethodType, error) {
	rows, err := s.query(ctx, qMethodTypesByCenter, centerID, centerID)
	if err != nil {
		return nil, fmt.Errorf("center methods: %w", err)
	}
	defer rows.Close()
	out := map[int64][]twostep.MethodType{}
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = append(out[id], twostep.MethodType(t))
	}
	return out, rows.Err()
}

// UserAndCenter returns a user and their center in one query.
func (s *Store) UserAndCenter(ctx context.Context, username string) (*twostep.User, *twostep.Center, error) {
	row := s.queryRow(ctx, qUserAndCenter, strings.ToLower(username))
	return scanUserCenter(row)
}

// centerJoinCols are a LEFT JOINed center's columns (all NULL for account managers).
const centerJoinCols = "c.id, c.name, c.two_step_available, c.two_step_required, c.allowed_methods, c.grace_logins, c.created_at, c.time_zone, c.trusted_browser_days"

func scanUserCenter(row interface{ Scan(...any) error }, extra ...any) (*twostep.User, *twostep.Center, error) {
	var u twostep.User
	var role string
	var created int64
	var cid, cgrace, ccreated, cdays sql.NullInt64
	var cname, callowed, czone sql.NullString
	var cavail, creq sql.NullBool
	dest := append(extra, &u.ID, &u.CenterID, &u.Username, &u.Email, &role, &u.PasswordHash, &u.TwoStepOn, &u.GraceLoginsUsed, &created, &u.Language,
		&cid, &cname, &cavail, &creq, &callowed, &cgrace, &ccreated, &czone, &cdays)
	if err := row.Scan(dest...); err != nil {
		return nil, nil, notFound(err)
	}
	u.Role = twostep.Role(role)
	u.CreatedAt = fromMS(created)
	if !cid.Valid {
		return &u, nil, nil
	}
	c := &twostep.Center{ID: cid.Int64, Name: cname.String, TwoStepAvailable: cavail.Bool, TwoStepRequired: creq.Bool,
		AllowedMethods: splitMethods(callowed.String), GraceLogins: int(cgrace.Int64), CreatedAt: fromMS(ccreated.Int64), TimeZone: czone.String,
		TrustedBrowserDays: int(cdays.Int64)}
	return &u, c, nil
}
