package delivertest

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Parts decodes an email into its plain-text and HTML parts (multipart or
// not, quoted-printable or base64), as a mail client would show them.
func (m Message) Parts() (plain, html string) {
	msg, err := mail.ReadMessage(strings.NewReader(m.Body))
	if err != nil {
		return "", ""
	}
	var walk func(ct, enc string, body io.Reader)
	walk = func(ct, enc string, body io.Reader) {
		media, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(media, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		switch strings.ToLower(enc) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		raw, _ := io.ReadAll(body)
		switch media {
		case "text/plain":
			plain = string(raw)
		case "text/html":
			html = string(raw)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return plain, html
}

var linkRE = regexp.MustCompile(`https?://[^\s"'<>]+`)

// Links returns the links in the email's plain-text part.
func (m Message) Links() []string {
	plain, _ := m.Parts()
	return linkRE.FindAllString(plain, -1)
}

// DecodedSubject is the Subject header as a mail client shows it (RFC 2047 decoded).
func (m Message) DecodedSubject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Subject)
	if err != nil {
		return m.Subject
	}
	return s
}
