package oidc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// ACR values: "2sv" when this sign-in passed a second step (or a passkey), else "pwd".
const (
	acrTwoStep  = "2sv"
	acrPassword = "pwd"
)

// acrOf is the acr of a sign-in recorded as amr: the domain decides what
// counts as a second step (Session.TwoStepUsed).
func acrOf(amr string) string {
	if (&twostep.Session{AMR: amr}).TwoStepUsed() {
		return acrTwoStep
	}
	return acrPassword
}

// authRequest is a stored authorization request as the library sees it. Its
// parameters are the request as parsed, kept as JSON in the domain's record.
type authRequest struct {
	rec     *twostep.AppAuthRequest
	params  *oidc.AuthRequest
	subject string
}

var _ op.AuthRequest = (*authRequest)(nil)

func newAuthRequest(rec *twostep.AppAuthRequest, subject func(int64) string) (*authRequest, error) {
	p := new(oidc.AuthRequest)
	if err := json.Unmarshal(rec.Params, p); err != nil {
		return nil, fmt.Errorf("authorization request %s: %w", rec.ID, err)
	}
	r := &authRequest{rec: rec, params: p}
	if rec.UserID != 0 {
		r.subject = subject(rec.UserID)
	}
	return r, nil
}

func (r *authRequest) GetID() string                      { return r.rec.ID }
func (r *authRequest) GetACR() string                     { return acrOf(r.rec.AMR) }
func (r *authRequest) GetAMR() []string                   { return strings.Fields(r.rec.AMR) }
func (r *authRequest) GetAudience() []string              { return []string{r.params.ClientID} }
func (r *authRequest) GetAuthTime() time.Time             { return r.rec.AuthTime }
func (r *authRequest) GetClientID() string                { return r.params.ClientID }
func (r *authRequest) GetNonce() string                   { return r.params.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.params.RedirectURI }
func (r *authRequest) GetScopes() []string                { return r.params.Scopes }
func (r *authRequest) GetState() string                   { return r.params.State }
func (r *authRequest) GetSubject() string                 { return r.subject }
func (r *authRequest) Done() bool                         { return r.rec.Done() }
func (r *authRequest) GetResponseType() oidc.ResponseType { return r.params.ResponseType }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return r.params.ResponseMode }

func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.params.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.params.CodeChallenge, Method: r.params.CodeChallengeMethod}
}

// refreshRequest is a refresh token's grant as the library sees it.
type refreshRequest struct {
	signIn   *twostep.GrantedSignIn
	clientID string
	subject  string
	scopes   []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return strings.Fields(r.signIn.Grant.AMR) }
func (r *refreshRequest) GetAudience() []string       { return []string{r.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.signIn.Grant.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }
