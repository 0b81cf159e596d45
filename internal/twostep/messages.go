package twostep

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
)

// Languages are the languages the portal speaks, English (the default) first.
// Emails and text messages to a person are written in the language they last
// used on the pages (B25); the pages' own catalogues fall back to these texts,
// so both speak with the same words.
var Languages = []string{"en", "es"}

var messageTexts = map[string]map[string]string{"en": messagesEN, "es": messagesES}

// KnownLanguage reports whether the portal speaks lang.
func KnownLanguage(lang string) bool { _, ok := messageTexts[lang]; return ok }

// Text returns the words of key in lang (in English when lang lacks it), filled
// with args; ok is false when no catalogue has key.
func Text(lang, key string, args ...any) (string, bool) {
	t, ok := messageTexts[lang][key]
	if !ok {
		if t, ok = messagesEN[key]; !ok {
			return "", false
		}
	}
	if len(args) > 0 {
		t = fmt.Sprintf(t, args...)
	}
	return t, true
}

// text is Text for keys the domain knows it has.
func text(lang, key string, args ...any) string {
	t, _ := Text(lang, key, args...)
	return t
}

// Duration says d in words in lang: "10 minutes", "10 minutos".
func Duration(lang string, d time.Duration) string {
	d = d.Round(time.Second)
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return text(lang, one)
		}
		return text(lang, many, n)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "dur.day", "dur.days")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "dur.hour", "dur.hours")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "dur.minute", "dur.minutes")
	case d > 2*time.Minute:
		return unit(int64((d+30*time.Second)/time.Minute), "dur.minute", "dur.minutes")
	}
	return unit(max(1, int64(d/time.Second)), "dur.second", "dur.seconds")
}

// langOf is the language to write to u in.
func langOf(u *User) string {
	if u != nil && KnownLanguage(u.Language) {
		return u.Language
	}
	return Languages[0]
}

// RememberLanguage records the page language the person uses now, so their
// next messages come in it (B25). An unknown language is ignored.
func (s *Service) RememberLanguage(ctx context.Context, a *Auth, lang string) error {
	if a == nil || a.User == nil || !KnownLanguage(lang) || a.User.Language == lang {
		return nil
	}
	if err := s.store.SetLanguage(ctx, a.User.ID, lang); err != nil {
		return fmt.Errorf("remember language: %w", err)
	}
	a.User.Language = lang
	return nil
}

// methodName names a method type inside a sentence of a message.
func methodName(lang string, t MethodType) string {
	if n, ok := Text(lang, "msg.method."+string(t)); ok {
		return n
	}
	return string(t)
}

// emailMessage builds an email in lang: subject and body from the catalogue,
// a plain-text part and an HTML part. When link is set, the body holds it on a
// line of its own; the HTML part shows it as one button labelled linkLabel, so
// the message carries exactly one link.
func emailMessage(to, subject, body, link, linkLabel string) OutboxMessage {
	return OutboxMessage{Channel: "email", To: to, Subject: subject, Body: body, HTML: htmlOf(body, link, linkLabel)}
}

// htmlOf turns a plain-text message into its HTML part; the paragraph that is
// exactly link becomes a button.
func htmlOf(text, link, label string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">`)
	for _, p := range strings.Split(text, "\n\n") {
		if link != "" && strings.TrimSpace(p) == link {
			fmt.Fprintf(&b, `<p><a href="%s" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">%s</a></p>`,
				html.EscapeString(link), html.EscapeString(label))
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
		b.WriteString("</p>")
	}
	b.WriteString("</body></html>")
	return b.String()
}

func textToHTML(text string) string { return htmlOf(text, "", "") }

// smsText picks the first of the texts that fits in one SMS segment, or the
// last (the shortest) when none does.
func smsText(texts ...string) string {
	for _, t := range texts {
		if SMSSegments(t) == 1 {
			return t
		}
	}
	return texts[len(texts)-1]
}

// gsm7 is the GSM 03.38 default alphabet; gsm7Ext are the characters its
// extension table sends with an escape (two septets each).
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// SMSSegments counts the segments a text message takes: GSM-7 when every
// character is in its alphabet (160 septets in one segment, 153 per part when
// split), else UCS-2 (70 UTF-16 units, 67 per part).
func SMSSegments(text string) int {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		if septets <= 160 {
			return 1
		}
		return (septets + 152) / 153
	}
	units := len(utf16.Encode([]rune(text)))
	if units <= 70 {
		return 1
	}
	return (units + 66) / 67
}

// MessageKeys lists the keys of lang's message catalogue (for tests and tools
// that check every language has every text).
func MessageKeys(lang string) []string {
	keys := make([]string, 0, len(messageTexts[lang]))
	for k := range messageTexts[lang] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describeBrowser says a user agent's browser and system in lang ("Chrome on
// Windows", "Chrome en Windows"), or "" for an unknown browser; never the raw
// header, which whoever made the request controls.
func describeBrowser(lang, ua string) string {
	b, system := BrowserParts(ua)
	switch {
	case b == "":
		return ""
	case system == "":
		return b
	}
	return text(lang, "msg.browser.on", b, system)
}
